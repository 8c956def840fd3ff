"""What the benchmarks share: run a config, read its curves, find its last
checkpoint, real photos, the datasets, and the statistics of paired runs.

Training in a subprocess, reading MMEngine's scalars and writing the datasets
are the package's (:mod:`vpl_mm.apis`, :mod:`vpl_mm.visualization`,
:mod:`vpl_mm.datasets`), as the user-facing tools use them.
"""
import functools
import json
import os.path as osp
import statistics
import subprocess
import sys
from typing import List, Optional, Sequence, Tuple

import numpy as np

from vpl_mm.apis import tool_env, train_in_subprocess
from vpl_mm.datasets import ensure_digits, ensure_fashion_mnist
from vpl_mm.visualization import plot, read_curves

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# a config of this checkout (path relative to the root) with its
# tools/train.py
train = functools.partial(train_in_subprocess, cwd=ROOT)

__all__ = [
    'ROOT', 'plot', 'read_curves', 'train', 'tool_env', 'ensure_digits',
    'ensure_fashion_mnist', 'last_checkpoint', 'evaluate', 'load_cfg',
    'PHOTOS', 'photos', 'mean_std', 't_interval', 'win_counts'
]

# scikit-image's bundled real photos (offline)
PHOTOS = ('astronaut', 'chelsea', 'coffee', 'rocket', 'hubble_deep_field',
          'immunohistochemistry', 'retina', 'camera')


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
