"""Time to both models: one joint run of a pair vs the two-run route.

The two-run route trains the CNN alone, then distils it (frozen) into the
transformer with the pair's own terms; the joint run trains both at once.
Each training runs alone (one at a time, ``tools/train.py`` in a fresh
process), the three in turn, ``--repeats`` times; the report gives medians
with their range, and where each run's time goes, measured:

- ``startup``: process start to the first iteration (imports, config, data
  set, model build);
- ``data``: waiting for batches (MMEngine's ``data_time``);
- ``step``: the train steps (forward, backward, update: MMEngine's ``time``
  less ``data_time``);
- ``val``: the validation loops;
- ``other``: the rest of the training loop (checkpoints, logging, hooks);
- ``teardown``: the end of training to process exit.

The parts come from :class:`benchmarks.timing.TimingHook`, added to each
run's config; they sum to the run's wall time.

Writes ``time_to_models.json`` and ``time_to_models.md`` to ``--out``.

Usage::

    python -m benchmarks.time_to_models [--repeats 3] \\
        [--joint configs/fashion_mnist/vpl_tiny_fmnist.py] \\
        [--solo-cnn configs/fashion_mnist/solo_cnn_tiny_fmnist.py] \\
        [--dis configs/fashion_mnist/dis_tiny_fmnist.py]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import sys
import time
from typing import Dict, List

from .common import ROOT, ensure_fashion_mnist, last_checkpoint, tool_env
from .timing import PARTS

RUNS = ('joint', 'solo_cnn', 'dis')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--joint', default='configs/fashion_mnist/vpl_tiny_fmnist.py')
    parser.add_argument(
        '--solo-cnn', default='configs/fashion_mnist/solo_cnn_tiny_fmnist.py')
    parser.add_argument(
        '--dis', default='configs/fashion_mnist/dis_tiny_fmnist.py')
    parser.add_argument('--repeats', type=int, default=3)
    parser.add_argument('--seed', type=int, default=10)
    parser.add_argument(
        '--data-root', default='data/fashion_mnist', help='Fashion-MNIST')
    parser.add_argument(
        '--options',
        nargs='*',
        default=[],
        help='more --cfg-options for every run (smoke tests)')
    parser.add_argument('--work-dir', default='work_dirs/time_to_models')
    parser.add_argument('--out', default='benchmarks/results')
    args = parser.parse_args(argv)
    if args.repeats < 1:
        parser.error('--repeats must be >= 1')
    args.data_root = osp.abspath(args.data_root)
    args.work_dir = osp.abspath(args.work_dir)
    return args


def timed_run(config: str, work_dir: str, options: List[str]) -> dict:
    """Train ``config`` alone with the timing hook; its parts (seconds)."""
    os.makedirs(work_dir, exist_ok=True)
    record = osp.join(work_dir, 'timing.json')
    wrapper = osp.join(work_dir, 'timed_config.py')
    with open(wrapper, 'w') as f:
        f.write('\n'.join([
            f'_base_ = [{osp.join(ROOT, config)!r}]',
            "custom_imports = dict(imports=['vpl_mm', 'benchmarks.timing'], "
            'allow_failed_imports=False)',
            'custom_hooks = [*_base_.custom_hooks, '
            f'dict(type="TimingHook", out={record!r})]', ''
        ]))
    start = time.time()
    proc = subprocess.run([
        sys.executable, 'tools/train.py', wrapper, '--work-dir', work_dir,
        '--cfg-options', *options
    ],
                          cwd=ROOT,
                          env=tool_env(),
                          capture_output=True,
                          text=True)
    end = time.time()
    if proc.returncode != 0:
        raise SystemExit(f'{config} failed:\n{proc.stdout[-3000:]}'
                         f'{proc.stderr[-3000:]}')
    with open(record) as f:
        parts = json.load(f)
    wall = end - start
    parts['startup'] = parts.pop('before_train') - start
    parts['teardown'] = end - parts.pop('after_train')
    parts['wall'] = wall
    return parts


def summarise(runs: Dict[str, List[dict]]) -> dict:
    """Medians and ranges of every part, per run kind and for the two-run
    route (solo CNN + distillation, repeat by repeat)."""
    runs = dict(runs)
    runs['two_run'] = [{
        k: a[k] + b[k]
        for k in a
    } for a, b in zip(runs['solo_cnn'], runs['dis'])]
    summary = {}
    for kind, records in runs.items():
        summary[kind] = {
            part:
            dict(
                median=statistics.median(r[part] for r in records),
                low=min(r[part] for r in records),
                high=max(r[part] for r in records))
            for part in ('wall', *PARTS)
        }
    ratios = [
        j['wall'] / t['wall'] for j, t in zip(runs['joint'], runs['two_run'])
    ]
    summary['joint_over_two_run'] = dict(
        median=statistics.median(ratios), low=min(ratios), high=max(ratios))
    return summary


def report(summary: dict, args) -> str:
    cell = '{median:.1f} [{low:.1f}, {high:.1f}]'.format
    lines = [
        f'Seconds per training, median [min, max] over {args.repeats} '
        'repeats, each run alone; two-run = solo CNN + distillation.', '',
        '| run | wall | ' + ' | '.join(PARTS) + ' |',
        '|---|---|' + '---|' * len(PARTS)
    ]
    for kind in ('joint', 'solo_cnn', 'dis', 'two_run'):
        parts = summary[kind]
        lines.append(f'| {kind} | {cell(**parts["wall"])} | ' +
                     ' | '.join(cell(**parts[p]) for p in PARTS) + ' |')
    ratio = summary['joint_over_two_run']
    lines += [
        '', f'joint / two-run wall time: {ratio["median"]:.3f} '
        f'[{ratio["low"]:.3f}, {ratio["high"]:.3f}]'
    ]
    return '\n'.join(lines) + '\n'


def main(argv=None):
    args = parse_args(argv)
    ensure_fashion_mnist(args.data_root)
    options = [
        f'{loader}.dataset.data_root={args.data_root}'
        for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
    ] + [f'randomness.seed={args.seed}', *args.options]
    runs = {kind: [] for kind in RUNS}
    for repeat in range(args.repeats):
        work = osp.join(args.work_dir, f'r{repeat}')
        for kind, config in zip(RUNS, (args.joint, args.solo_cnn, args.dis)):
            extra = []
            if kind == 'dis':  # the route's own CNN, trained just before
                extra = [
                    'model.pair_head.teacher_checkpoint=' +
                    last_checkpoint(osp.join(work, 'solo_cnn'))
                ]
            runs[kind].append(
                timed_run(config, osp.join(work, kind), options + extra))
            print(
                f'repeat {repeat + 1}: {kind} '
                f'{runs[kind][-1]["wall"]:.1f} s',
                flush=True)
    summary = summarise(runs)
    text = report(summary, args)
    os.makedirs(args.out, exist_ok=True)
    with open(osp.join(args.out, 'time_to_models.json'), 'w') as f:
        json.dump(
            dict(
                configs=dict(
                    joint=args.joint, solo_cnn=args.solo_cnn, dis=args.dis),
                options=args.options,
                runs=runs,
                summary=summary),
            f,
            indent=1)
    with open(osp.join(args.out, 'time_to_models.md'), 'w') as f:
        f.write(text)
    print(text)
    return summary


if __name__ == '__main__':
    main()
