"""Train a config with our ``tools/train.py`` in a subprocess and follow it:
one progress line per validated epoch, the last validation's top-1.

What the main job (``tools/run_demo.py``) and the benchmarks share.
"""
import json
import os
import os.path as osp
import subprocess
import sys
import time
from collections import deque
from typing import List, Optional, Sequence

from ..visualization import scalar_files

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
METRIC = 'accuracy/top1'


def tool_env(threads: Optional[int] = None) -> dict:
    """The environment of a tool subprocess: this process's ``vpl_mm``
    importable there too (first on ``PYTHONPATH``: a checkout is used as
    such, not a copy installed elsewhere), ``OMP_NUM_THREADS`` set if
    ``threads`` is given."""
    import vpl_mm
    here = osp.dirname(osp.dirname(osp.abspath(vpl_mm.__file__)))
    env = dict(os.environ)
    env['PYTHONPATH'] = os.pathsep.join(
        p for p in (here, env.get('PYTHONPATH')) if p)
    if threads is not None:
        env['OMP_NUM_THREADS'] = str(threads)
    return env


def schedule_end_options(config: str, epochs: int) -> List[str]:
    """``--cfg-options`` that end the config's cosine decay with ``epochs``
    (found by type: MMEngine's option parser only takes list indices)."""
    from mmengine.config import Config
    schedulers = Config.fromfile(config).param_scheduler
    index = next(i for i, s in enumerate(schedulers)
                 if s['type'] == 'CosineAnnealingLR')
    return [
        f'train_cfg.max_epochs={epochs}',
        f'param_scheduler.{index}.end={epochs}'
    ]


def val_records(work_dir: str, start: float) -> List[dict]:
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


def train_in_subprocess(name: str,
                        config: str,
                        work_dir: str,
                        data_root: str,
                        epochs: Optional[int] = None,
                        options: Sequence[str] = (),
                        threads: Optional[int] = None,
                        resume: bool = False,
                        cwd: Optional[str] = None,
                        tool: str = 'tools/train.py') -> dict:
    """Train one config with ``tool``; show one line per validated epoch
    (and stage switches), prefixed with ``name``.

    Args:
        name (str): Run name shown in the progress lines.
        config (str): Config path (relative to ``cwd``).
        work_dir (str): Where logs and checkpoints go.
        data_root (str): The dataset's root, given to every dataloader.
        epochs (int, optional): Epochs; the cosine decay ends with them.
            Defaults to the config's.
        options (Sequence[str]): More ``--cfg-options`` (``key=value``).
        threads (int, optional): ``OMP_NUM_THREADS`` of the run.
        resume (bool): Continue from the work dir's last checkpoint.
        cwd (str, optional): The folder the run starts in (a checkout's
            root). Defaults to this process's.
        tool (str): Our ``tools/train.py`` (relative to ``cwd``).

    Returns:
        dict: The top-1 metrics of the last validation (from the run's
        ``scalars.json``).

    Raises:
        SystemExit: if training fails, after printing its last 40 lines.
    """
    options = [
        f'{loader}.dataset.data_root={data_root}' for loader in DATALOADERS
    ] + list(options)
    if epochs is not None:
        options += schedule_end_options(osp.join(cwd or '', config), epochs)
    cmd = [
        sys.executable, tool, config, '--work-dir', work_dir,
        *(['--resume'] if resume else []), '--cfg-options', *options
    ]
    start = time.time()
    tail = deque(maxlen=40)
    shown = 0
    with subprocess.Popen(
            cmd,
            cwd=cwd,
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
