"""FSDP (FlexibleRunner + PairFSDPStrategy) on CPU/gloo, 2 processes:
the same training as DDP, exact resume, ordinary checkpoints."""
import os.path as osp

import pytest
import torch
from _utils import ROOT, data_options, free_port, run

import vpl_mm  # noqa: F401

FSDP_CONFIG = osp.join(ROOT, 'configs/demo/vpl_tiny_digits_fsdp.py')
DDP_CONFIG = osp.join(ROOT, 'configs/demo/vpl_tiny_digits.py')
EPOCHS = 3


def dist_train(config,
               work_dir,
               digits_root,
               *args,
               epochs=EPOCHS,
               check=True):
    cmd = [
        'bash',
        osp.join(ROOT, 'tools/dist_train.sh'), config, '2', '--work-dir',
        str(work_dir), *args, '--cfg-options', *data_options(digits_root),
        'train_dataloader.dataset.indices=256',
        'val_dataloader.dataset.indices=64', f'train_cfg.max_epochs={epochs}',
        f'param_scheduler.1.end={epochs}',
        'default_hooks.checkpoint.max_keep_ckpts=-1'
    ]
    if check:
        return run(cmd, env=dict(PORT=str(free_port())))
    import os
    import subprocess
    return subprocess.run(
        cmd,
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONPATH=ROOT, PORT=str(free_port())))


def weights(path):
    return torch.load(path)['state_dict']


def same(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


@pytest.fixture(scope='module')
def runs(digits_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('fsdp')
    log = dist_train(FSDP_CONFIG, tmp / 'fsdp', digits_root)
    dist_train(DDP_CONFIG, tmp / 'ddp', digits_root)
    return tmp, log


def test_fsdp_trains_as_ddp(runs):
    tmp, log = runs
    assert 'FullyShardedDataParallel' in log or 'FSDP' in log
    for epoch in range(1, EPOCHS + 1):
        assert same(
            weights(tmp / f'fsdp/epoch_{epoch}.pth'),
            weights(tmp / f'ddp/epoch_{epoch}.pth'))


def test_fsdp_checkpoint_is_ordinary_and_whole(runs):
    tmp, _ = runs
    ckpt = torch.load(tmp / f'fsdp/epoch_{EPOCHS}.pth')  # one file, rank 0
    optimizer = ckpt['optimizer']
    # per-parameter states under the original names, the CNN's LR x2.5
    state = optimizer['state']['cnn.backbone.conv1.weight']
    assert state['exp_avg'].data_ptr() != state['exp_avg_sq'].data_ptr()
    assert not torch.equal(state['exp_avg'], state['exp_avg_sq'])
    lrs = sorted({g['initial_lr'] for g in optimizer['param_groups']})
    assert len(lrs) == 2 and lrs[1] == pytest.approx(2.5 * lrs[0])


def test_fsdp_resume_is_exact(runs, digits_root, tmp_path):
    tmp, _ = runs
    log = dist_train(FSDP_CONFIG, tmp_path, digits_root, '--resume',
                     str(tmp / 'fsdp/epoch_1.pth'))
    assert 'resumed epoch: 1' in log
    assert same(
        weights(tmp / f'fsdp/epoch_{EPOCHS}.pth'),
        weights(tmp_path / f'epoch_{EPOCHS}.pth'))


def test_ema_hook_refuses_fsdp(digits_root, tmp_path):
    config = tmp_path / 'ema.py'
    config.write_text(f'_base_ = [{FSDP_CONFIG!r}]\n'
                      'custom_hooks = [dict(type="SafeEMAHook")]\n')
    proc = dist_train(
        str(config), tmp_path / 'w', digits_root, epochs=2, check=False)
    assert proc.returncode != 0
    assert 'SafeEMAHook cannot average an FSDP-sharded model' in (proc.stdout +
                                                                  proc.stderr)
