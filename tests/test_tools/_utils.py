import glob
import json
import os
import os.path as osp
import socket
import subprocess
import sys

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
PAIR_CONFIG = osp.join(ROOT, 'configs/demo/vpl_tiny_digits.py')
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def data_options(data_root):
    return [
        f'{loader}.dataset.data_root={data_root}' for loader in DATALOADERS
    ]


def run(cmd, timeout=600, **kwargs):
    """Run a command from the repository root; fail with its output."""
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.update(kwargs.pop('env', {}))
    proc = subprocess.run(
        cmd,
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        **kwargs)
    if proc.returncode != 0:
        # the optimizer's per-parameter lines would fill the message
        lines = [
            ln for ln in (proc.stdout + proc.stderr).splitlines()
            if 'paramwise_options' not in ln
        ]
        raise AssertionError(f'{cmd} exited {proc.returncode}:\n' +
                             '\n'.join(lines[-150:]))
    return proc.stdout + proc.stderr


def python(script, *args, **kwargs):
    return run([sys.executable, osp.join(ROOT, script), *args], **kwargs)


def scalars(work_dir):
    """The train and val records MMEngine logged, oldest run first."""
    records = []
    pattern = osp.join(work_dir, '*/vis_data/scalars.json')
    for path in sorted(glob.glob(pattern)):
        with open(path) as f:
            records += [json.loads(line) for line in f]
    return records


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]
