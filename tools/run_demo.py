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
import json
import os
import os.path as osp
import subprocess
import sys
import time
from collections import deque

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools', 'analysis'))
from plot_curves import scalar_files  # noqa: E402

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
METRIC = 'accuracy/top1'

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


def ensure_data(data_root: str) -> None:
    """Write the digits dataset unless a complete copy is there."""
    count = sum(
        len([f for f in files if f.endswith('.png')])
        for _, _, files in os.walk(data_root))
    if count == 1797:
        return
    subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/dataset_converters/prepare_digits.py'),
        '--out-dir', data_root
    ],
                   check=True)


def schedule_end_options(config: str, epochs: int) -> list:
    """``--cfg-options`` that end the config's cosine decay with ``epochs``
    (found by type: MMEngine's option parser only takes list indices)."""
    from mmengine.config import Config
    schedulers = Config.fromfile(osp.join(ROOT, config)).param_scheduler
    index = next(i for i, s in enumerate(schedulers)
                 if s['type'] == 'CosineAnnealingLR')
    return [
        f'train_cfg.max_epochs={epochs}',
        f'param_scheduler.{index}.end={epochs}'
    ]


def val_records(work_dir: str, start: float) -> list:
    """The validation records of MMEngine's structured log
    (``<work_dir>/<timestamp>/vis_data/scalars.json``) of the run started
    at ``start`` (the records that hold top-1), oldest first."""
    records = []
    # (logs older than `start` are earlier runs' in the same work dir)
    for path in scalar_files(work_dir, since=start):
        with open(path) as f:
            records += [
                r for r in map(json.loads, f) if any(
                    k.endswith(METRIC) for k in r)
            ]
    return records


def show_new_epochs(name: str, work_dir: str, start: float, shown: int) -> int:
    """Print one line per validation logged since the first ``shown``;
    returns how many are shown now."""
    records = val_records(work_dir, start)
    for record in records[shown:]:
        values = '  '.join(f'{k} {v:6.2f}' for k, v in record.items()
                           if k.endswith(METRIC))
        print(
            f'  [{name}] epoch {record["step"]:>3}  {values}  '
            f'({time.time() - start:5.0f} s)',
            flush=True)
    return len(records)


def tool_env(threads=None) -> dict:
    """The environment of a ``tools/*.py`` subprocess: this checkout's
    ``vpl_mm`` importable (the tools import it), ``OMP_NUM_THREADS`` set if
    ``threads`` is given."""
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (ROOT, env.get('PYTHONPATH')) if p)
    if threads is not None:
        env['OMP_NUM_THREADS'] = str(threads)
    return env


def train(name: str,
          config: str,
          work_dir: str,
          data_root: str,
          epochs=None,
          options=(),
          threads=None,
          resume: bool = False) -> dict:
    """Train one config with ``tools/train.py``; show one line per validated
    epoch (and stage switches), prefixed with ``name``.

    Args:
        name (str): Run name shown in the progress lines.
        config (str): Config path, relative to the repository root.
        work_dir (str): Where logs and checkpoints go.
        data_root (str): The dataset's root (the digits for the demo).
        epochs (int, optional): Epochs; the cosine decay ends with them.
            Defaults to the config's.
        options (Sequence[str]): More ``--cfg-options`` (``key=value``).
        threads (int, optional): ``OMP_NUM_THREADS`` of the run.
        resume (bool): Continue from the work dir's last checkpoint.

    Returns:
        dict: The top-1 metrics of the last validation (from the run's
        ``scalars.json``).
    """
    options = [
        f'{loader}.dataset.data_root={data_root}' for loader in DATALOADERS
    ] + list(options)
    if epochs is not None:
        options += schedule_end_options(config, epochs)
    cmd = [
        sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
        *(['--resume'] if resume else []), '--cfg-options', *options
    ]
    start = time.time()
    tail = deque(maxlen=40)
    shown = 0
    with subprocess.Popen(
            cmd,
            cwd=ROOT,
            env=tool_env(threads),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1) as proc:
        for line in proc.stdout:
            tail.append(line)
            if 'StageSwitchHook: ' in line:
                print(
                    f'  [{name}] {line.split("StageSwitchHook: ")[-1]}',
                    end='',
                    flush=True)
            shown = show_new_epochs(name, work_dir, start, shown)
    if proc.returncode != 0:
        sys.stdout.write(''.join(tail))
        raise SystemExit(f'{name}: training failed (exit {proc.returncode});'
                         f' full log under {work_dir}')
    show_new_epochs(name, work_dir, start, shown)
    records = val_records(work_dir, start)
    return {
        k: v
        for k, v in records[-1].items() if k.endswith(METRIC)
    } if records else {}


def main(argv=None):
    args = parse_args(argv)
    data_root = osp.abspath(args.data_root)
    work_dir = osp.abspath(args.work_dir)
    ensure_data(data_root)
    results = {}
    start = time.time()
    for i, (name, config, keys) in enumerate(RUNS, 1):
        print(f'[{i}/{len(RUNS)}] training {name}: {config}', flush=True)
        metrics = train(name, config, osp.join(work_dir,
                                               name.replace(' ', '_')),
                        data_root, args.epochs)
        results[name] = {branch: metrics[key] for branch, key in keys.items()}
    print(f'\nTop-1 (%) on the digits val split (360 real images), last '
          f'epoch; {time.time() - start:.0f} s in all')
    print(f'{"branch":<8}{"solo":>8}{"VPL pair":>10}{"change":>9}')
    for branch in ('cnn', 'trans'):
        pair, solo = results['pair'][branch], results[f'solo {branch}'][branch]
        print(f'{branch:<8}{solo:>8.2f}{pair:>10.2f}{pair - solo:>+9.2f}')


if __name__ == '__main__':
    main()
