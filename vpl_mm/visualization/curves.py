"""Read and plot per-branch top-1 vs epoch of runs (the paper's Fig. 2).

Reads MMEngine's ``<work_dir>/<timestamp>/vis_data/scalars.json`` (all
timestamps, oldest first, so a resumed run is one curve) and draws every
``accuracy/top1`` metric it finds: ``cnn/...`` and ``trans/...`` of a pair,
the single metric of a solo run, the raw weights' ``..._origin`` of
``SafeEMAHook(evaluate_on_origin=True)`` (as branch ``'cnn raw'`` ...).
The legend names run and branch.

Shared by ``tools/analysis/plot_curves.py`` (any work dirs to a PNG), the
main job (``tools/run_demo.py``, its progress lines) and the benchmarks.
"""
import glob
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

Curve = List[Tuple[int, float]]


def scalar_files(work_dir: str, since: float = 0.0) -> List[str]:
    """MMEngine's structured logs of a work dir,
    ``<work_dir>/<timestamp>/vis_data/scalars.json``, oldest first; only
    those written at or after ``since`` (a ``time.time()``), if given."""
    paths = glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
    return sorted(p for p in paths if osp.getmtime(p) >= since)


def read_curves(work_dir: str,
                metric: str = 'accuracy/top1') -> Dict[str, Curve]:
    """Validation curves of one work dir.

    Args:
        work_dir (str): A work dir of ``tools/train.py``.
        metric (str): Metric name, without branch prefix.

    Returns:
        dict: ``{branch: [(step, value), ...]}`` sorted by step, where branch
        is the prefix before ``metric`` (``'cnn'``, ``'trans'``,
        ``'cnn raw'`` for ``cnn/<metric>_origin`` ...) or ``''`` for a solo
        run's metric. ``step`` is the
        epoch (or iteration, for iteration-based runs).

    Raises:
        FileNotFoundError: if the work dir has no ``scalars.json``.
    """
    paths = scalar_files(work_dir)
    if not paths:
        raise FileNotFoundError(
            f'no */vis_data/scalars.json under {work_dir!r}: not a work dir '
            'of tools/train.py?')
    curves: Dict[str, Dict[int, float]] = {}
    for path in paths:  # a resumed run's later records win
        with open(path) as f:
            for line in f:
                record = json.loads(line)
                for key, value in record.items():
                    # MMPretrain's EMAHook logs the raw weights' <key>_origin
                    raw = key.endswith('_origin')
                    name = key[:-len('_origin')] if raw else key
                    if name == metric or name.endswith('/' + metric):
                        branch = name[:-len(metric)].rstrip('/')
                        branch = f'{branch} raw'.strip() if raw else branch
                        curves.setdefault(branch, {})[record['step']] = value
    if not curves:
        raise ValueError(f'{work_dir!r} logged no {metric!r}')
    return {b: sorted(points.items()) for b, points in curves.items()}


def plot(lines: Dict[str, Curve],
         out: str,
         bands: Optional[Dict[str, Sequence[float]]] = None,
         ylabel: str = 'top-1 (%)',
         title: Optional[str] = None) -> str:
    """Draw curves into a PNG.

    Args:
        lines (dict): ``{legend label: [(step, value), ...]}``; labels
            ending in ``cnn`` are drawn dashed.
        out (str): The PNG to write.
        bands (dict, optional): ``{label: half-widths}`` (e.g. the std over
            seeds), one per point of that label's curve, drawn shaded.
        ylabel (str): Y-axis label.
        title (str, optional): Figure title.

    Returns:
        str: ``out``.
    """
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 6))
    # distinct colours for up to 20 curves; CNN branches dashed
    colours = plt.get_cmap('tab10' if len(lines) <= 10 else 'tab20').colors
    for i, (label, curve) in enumerate(lines.items()):
        xs = [x for x, _ in curve]
        ys = [y for _, y in curve]
        # markers: a run of one epoch is one point, which a line alone
        # would not show
        (line, ) = ax.plot(
            xs,
            ys,
            label=label,
            color=colours[i % len(colours)],
            linestyle='--' if label.endswith('cnn') else '-',
            marker='o',
            markersize=4)
        if bands and label in bands:
            ax.fill_between(
                xs, [y - b for y, b in zip(ys, bands[label])],
                [y + b for y, b in zip(ys, bands[label])],
                color=line.get_color(),
                alpha=0.2)
    ax.set_xlabel('epoch')
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(fontsize='small')
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    plt.close(fig)
    return out
