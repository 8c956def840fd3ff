"""Plot per-branch top-1 vs epoch of one or more runs (the paper's Fig. 2).

Reads MMEngine's ``<work_dir>/<timestamp>/vis_data/scalars.json`` of each
work dir (:func:`vpl_mm.visualization.read_curves`: a resumed run is one
curve) and draws every branch's curve into one PNG; the legend names run and
branch.

Usage::

    python tools/analysis/plot_curves.py WORK_DIR [WORK_DIR ...] \\
        [--labels NAME ...] [--metric accuracy/top1] [--out curves.png]
"""
import argparse
import os.path as osp

from vpl_mm.visualization import plot, read_curves


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('work_dirs', nargs='+')
    parser.add_argument(
        '--labels',
        nargs='+',
        help='run names for the legend (default: the work '
        'dirs\' names)')
    parser.add_argument('--metric', default='accuracy/top1')
    parser.add_argument('--out', default='curves.png')
    args = parser.parse_args(argv)
    labels = args.labels or [
        osp.basename(osp.normpath(d)) for d in args.work_dirs
    ]
    if len(labels) != len(args.work_dirs):
        parser.error(f'{len(labels)} --labels for {len(args.work_dirs)} '
                     'work dirs')
    lines = {}
    for label, work_dir in zip(labels, args.work_dirs):
        for branch, curve in read_curves(work_dir, args.metric).items():
            lines[f'{label} {branch}'.strip()] = curve
    print(plot(lines, args.out, ylabel=args.metric))


if __name__ == '__main__':
    main()
