"""The main job: train the demo pair and both solo branches, compare top-1.

Prepares scikit-learn's real handwritten digits (if not there yet), trains
``configs/demo/vpl_tiny_digits.py`` (tiny ResNet + tiny ViT with VPL) and the
same two branches alone (``solo_cnn_tiny_digits.py``,
``solo_trans_tiny_digits.py``) with ``tools/train.py`` on this machine, shows
each run's progress one line per epoch, then prints the final top-1 of each
branch, pair vs solo. Full logs and checkpoints go to ``--work-dir``.

Usage::

    python tools/run_demo.py [--epochs 30] [--work-dir work_dirs/demo]
                             [--data-root data/digits]
"""
import argparse
import os.path as osp
import time

from vpl_mm.apis.runs import METRIC, train_in_subprocess
from vpl_mm.datasets import ensure_digits

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# run name, config, and each branch's key of METRIC in the run's scalars
# (a pair logs cnn/accuracy/top1 and trans/..., a solo run accuracy/top1)
RUNS = [
    ('pair', 'configs/demo/vpl_tiny_digits.py',
     dict(cnn=f'cnn/{METRIC}', trans=f'trans/{METRIC}')),
    ('solo cnn', 'configs/demo/solo_cnn_tiny_digits.py', dict(cnn=METRIC)),
    ('solo trans', 'configs/demo/solo_trans_tiny_digits.py',
     dict(trans=METRIC)),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--epochs',
        type=int,
        default=None,
        help='epochs per run (default: the configs\' 30)')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/demo',
        help='where logs and checkpoints go')
    parser.add_argument(
        '--data-root',
        default='data/digits',
        help='where the digits dataset is (written if '
        'missing)')
    args = parser.parse_args(argv)
    if args.epochs is not None and args.epochs < 2:
        parser.error('--epochs must be >= 2 (one warm-up epoch, then the '
                     'cosine decay)')
    return args


def main(argv=None):
    args = parse_args(argv)
    data_root = osp.abspath(args.data_root)
    work_dir = osp.abspath(args.work_dir)
    ensure_digits(data_root)
    results = {}
    start = time.time()
    for i, (name, config, keys) in enumerate(RUNS, 1):
        print(f'[{i}/{len(RUNS)}] training {name}: {config}', flush=True)
        metrics = train_in_subprocess(
            name,
            config,
            osp.join(work_dir, name.replace(' ', '_')),
            data_root,
            args.epochs,
            cwd=ROOT)
        results[name] = {branch: metrics[key] for branch, key in keys.items()}
    print(f'\nTop-1 (%) on the digits val split (360 real images), last '
          f'epoch; {time.time() - start:.0f} s in all')
    print(f'{"branch":<8}{"solo":>8}{"VPL pair":>10}{"change":>9}')
    for branch in ('cnn', 'trans'):
        pair, solo = results['pair'][branch], results[f'solo {branch}'][branch]
        print(f'{branch:<8}{solo:>8.2f}{pair:>10.2f}{pair - solo:>+9.2f}')


if __name__ == '__main__':
    main()
