"""What the benchmarks share: run a config, read its curves, find its last
checkpoint, real photos, the datasets, and the statistics of paired runs.

The user-facing tools own training in a subprocess (``tools/run_demo.py``),
reading MMEngine's scalars (``tools/analysis/plot_curves.py``) and writing
Fashion-MNIST (``tools/dataset_converters/prepare_fashion_mnist.py``); this
module is the one place the benchmarks reach them.
"""
import json
import os.path as osp
import statistics
import subprocess
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path[:0] = [
    osp.join(ROOT, 'tools'),
    osp.join(ROOT, 'tools/analysis'),
    osp.join(ROOT, 'tools/dataset_converters')
]
from plot_curves import plot, read_curves  # noqa: E402
from prepare_fashion_mnist import prepare_fashion_mnist  # noqa: E402
from run_demo import ensure_data as ensure_digits  # noqa: E402
from run_demo import tool_env, train  # noqa: E402

__all__ = [
    'ROOT', 'plot', 'read_curves', 'train', 'tool_env', 'ensure_digits',
    'ensure_fashion_mnist', 'last_checkpoint', 'evaluate', 'load_cfg',
    'PHOTOS', 'photos', 'mean_std', 't_interval', 'win_counts'
]

# scikit-image's bundled real photos (offline)
PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket', 'hubble_deep_field',
          'immunohistochemistry', 'retina', 'camera')


def ensure_fashion_mnist(root: str) -> None:
    """Write Fashion-MNIST to ``root`` (from the Debian package) unless it
    is there."""
    if not osp.isfile(osp.join(root, 't10k-labels-idx1-ubyte')):
        prepare_fashion_mnist(out=root)


def last_checkpoint(work_dir: str) -> str:
    """The work dir's last checkpoint, found in that dir (MMEngine writes an
    absolute path, which a moved or renamed work dir would break)."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return osp.join(work_dir, osp.basename(f.read().strip()))


def evaluate(config: str,
             checkpoint: str,
             out: str,
             options: Sequence[str] = (),
             threads: Optional[int] = None) -> dict:
    """Test a checkpoint with ``tools/test.py``; its metrics, also written
    to ``out`` (JSON). Raises ``CalledProcessError`` with the tool's output
    if it fails."""
    subprocess.run([
        sys.executable, 'tools/test.py', config, checkpoint, '--work-dir',
        osp.join(osp.dirname(out), 'test'), '--out', out, '--out-item',
        'metrics', '--cfg-options', *options
    ],
                   cwd=ROOT,
                   env=tool_env(threads),
                   check=True,
                   capture_output=True)
    with open(out) as f:
        return json.load(f)


def load_cfg(config: str):
    """A config of this checkout (path relative to the root), with our
    components registered, MMPretrain's default scope set and MMEngine's
    logger quiet (no per-parameter optimizer lines)."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    import vpl_mm  # noqa: F401  (registers our components)
    init_default_scope('mmpretrain')
    MMLogger.get_instance('vpl_benchmarks', log_level='WARNING')
    return Config.fromfile(osp.join(ROOT, config))


def photos(names: Sequence[str] = PHOTOS) -> List[np.ndarray]:
    """scikit-image's bundled real photos, as RGB uint8 arrays (grey ones
    stacked to three channels)."""
    import skimage.data
    images = [getattr(skimage.data, name)() for name in names]
    return [
        np.stack([img] * 3, -1) if img.ndim == 2 else img for img in images
    ]


def mean_std(values: Sequence[float]) -> Tuple[float, float]:
    """Mean and sample standard deviation (0 for one value)."""
    return (statistics.mean(values),
            statistics.stdev(values) if len(values) > 1 else 0.0)


def t_interval(diffs: Sequence[float],
               level: float = 0.95) -> Tuple[float, float, float]:
    """Mean of paired differences and its two-sided t interval.

    Returns:
        tuple: ``(mean, low, high)``; with one value the interval is
        ``(nan, nan)``.
    """
    from scipy.stats import t
    n = len(diffs)
    mean = statistics.mean(diffs)
    if n < 2:
        return mean, float('nan'), float('nan')
    half = t.ppf(0.5 + level / 2, n - 1) * statistics.stdev(diffs) / n**0.5
    return mean, mean - half, mean + half


def win_counts(diffs: Sequence[float]) -> str:
    """``'>/=/<'``: how many differences are above, at and below 0."""
    return '/'.join(
        str(sum(test(d) for d in diffs))
        for test in (lambda d: d > 0, lambda d: d == 0, lambda d: d < 0))
