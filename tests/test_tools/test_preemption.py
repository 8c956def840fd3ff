"""Preemption end to end: a real SIGTERM to a real training run in the
middle of an epoch saves that iteration, exits 143 within 60 s, and
``--resume`` ends with the weights of the uninterrupted run; with 2 gloo
ranks under dist_train.sh, a signal to one rank stops both after the same
iteration, with one checkpoint. The run that is stopped is MMPretrain's own
train.py (the hook comes with our config), the resumed one ours."""
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import mmpretrain
import pytest
import torch
from _utils import PAIR_CONFIG, ROOT, free_port, python, scalars

import vpl_mm  # noqa: F401

STOCK_TRAIN = osp.join(
    osp.dirname(mmpretrain.__file__), '.mim', 'tools', 'train.py')
ITERS = 8  # a training epoch, of 2


def write_config(path, data_root, batch):
    root = str(data_root)
    path.write_text('\n'.join([
        f'_base_ = [{PAIR_CONFIG!r}]',
        f'train_dataloader = dict(batch_size={batch}, dataset=dict('
        f'data_root={root!r}, indices=128))',
        f'val_dataloader = dict(dataset=dict(data_root={root!r}, '
        'indices=32))',
        'test_dataloader = val_dataloader',
        'train_cfg = dict(max_epochs=2)',
        'param_scheduler = [dict(type="LinearLR", start_factor=0.01, '
        'by_epoch=True, begin=0, end=1, convert_to_iter_based=True), '
        'dict(type="CosineAnnealingLR", eta_min=1e-5, by_epoch=True, '
        'begin=1, end=2, convert_to_iter_based=True)]',
        'custom_hooks = [dict(type="StageSwitchHook"), '
        'dict(type="SafeEMAHook", momentum=0.1), dict(type="ReseedHook")]',
        'default_hooks = dict(logger=dict(interval=1))',
    ]))
    return str(path)


def start(cmd, work_dir, **env):
    """Start ``cmd``, its output to ``<work_dir>.log``."""
    log = open(f'{work_dir}.log', 'w')
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=dict(os.environ, PYTHONPATH=ROOT, **env))
    proc.log = log.name
    return proc


def output(proc):
    with open(proc.log) as f:
        return f.read()


def wait_for_iteration(proc, work_dir, n, timeout=300):
    """Wait until iteration ``n`` of the run is logged.

    The logger writes before PreemptionHook (priority LOWEST) looks for a
    signal in the same ``after_train_iter``, so a signal sent now may still
    save iteration ``n`` itself: the save is at ``n`` or later.
    """
    deadline = time.time() + timeout
    while not any(r.get('iter', 0) >= n for r in scalars(str(work_dir))):
        assert proc.poll() is None, output(proc)[-3000:]
        assert time.time() < deadline
        time.sleep(0.05)


def stop(proc, pid, sig=signal.SIGTERM):
    """Send ``sig`` to ``pid``; the run's exit status, seconds to exit and
    output."""
    sent = time.time()
    os.kill(pid, sig)
    status = proc.wait(timeout=120)
    return status, time.time() - sent, output(proc)


def saved(work_dir):
    """The checkpoint last_checkpoint names, loaded, and its path."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        path = f.read()
    return torch.load(path), path


def same_weights(a, b):
    a, b = torch.load(a), torch.load(b)
    return all(
        torch.equal(a[key][k], b[key][k])
        for key in ('state_dict', 'ema_state_dict') for k in a[key])


def test_sigterm_mid_epoch_then_exact_resume(digits_root, tmp_path):
    config = write_config(tmp_path / 'cfg.py', digits_root, batch=16)
    python('tools/train.py', config, '--work-dir', str(tmp_path / 'straight'))
    work = tmp_path / 'stopped'
    proc = start(
        [sys.executable, STOCK_TRAIN, config, '--work-dir',
         str(work)], work)
    wait_for_iteration(proc, work, ITERS + 2)  # epoch 2 under way
    status, seconds, out = stop(proc, proc.pid)
    assert status == 128 + signal.SIGTERM, out[-3000:]
    assert seconds <= 60
    checkpoint, path = saved(work)
    n = checkpoint['meta']['iter']
    assert path == str(work / f'iter_{n}.pth') and ITERS + 2 <= n < 2 * ITERS
    assert checkpoint['meta']['epoch'] == 1  # epoch 2, mid-way
    assert f'SIGTERM: saved {path}; exiting with status 143' in out
    assert not (work / 'epoch_2.pth').exists()
    torch.load(work / 'epoch_1.pth')  # the previous one is whole
    log = python('tools/train.py', config, '--work-dir', str(work), '--resume')
    assert (f'resuming epoch 2 after its batch {n - ITERS} of {ITERS}: the '
            f'sampler skips the {n - ITERS} done') in log
    assert same_weights(tmp_path / 'straight/epoch_2.pth',
                        work / 'epoch_2.pth')


def rank_pids(launcher_pid):
    """{rank: pid} of torchrun's worker processes."""
    children = []
    for task in os.listdir(f'/proc/{launcher_pid}/task'):
        with open(f'/proc/{launcher_pid}/task/{task}/children') as f:
            children += f.read().split()
    ranks = {}
    for pid in children:
        with open(f'/proc/{pid}/environ') as f:
            env = dict(
                item.split('=', 1) for item in f.read().split('\0')
                if '=' in item)
        ranks[int(env['RANK'])] = int(pid)
    return ranks


@pytest.mark.skipif(
    not osp.isdir('/proc'), reason='finds the ranks through /proc')
def test_a_signal_to_one_gloo_rank_stops_both_together(digits_root, tmp_path):
    config = write_config(tmp_path / 'cfg.py', digits_root, batch=8)
    work = tmp_path / 'work'
    proc = start([
        'bash',
        osp.join(ROOT, 'tools/dist_train.sh'), config, '2', '--work-dir',
        str(work)
    ],
                 work,
                 PORT=str(free_port()))
    wait_for_iteration(proc, work, ITERS + 2)
    ranks = rank_pids(proc.pid)  # dist_train.sh execs torchrun
    status, seconds, out = stop(proc, ranks[1])
    assert status != 0 and seconds <= 60, out[-3000:]
    # torchrun's report: both ranks saved and exited 143, none was killed
    assert out.count('exitcode  : 143') == 2, out[-3000:]
    checkpoint, path = saved(work)
    n = checkpoint['meta']['iter']
    assert path == str(work / f'iter_{n}.pth') and ITERS + 2 <= n < 2 * ITERS
    assert sorted(p.name for p in work.glob('*.pth')) == [
        'epoch_1.pth', f'iter_{n}.pth'
    ]  # one checkpoint: the iteration both ranks agreed on
    assert checkpoint['rng_states']['world_size'] == 2
    states = checkpoint['rng_states']['states']
    assert not torch.equal(states[0]['torch'], states[1]['torch'])
