"""Reliability end to end: exact resume in every stage, crash recovery,
refusing the wrong checkpoint."""
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch
from _utils import PAIR_CONFIG, ROOT, python, scalars

import vpl_mm  # noqa: F401

EPOCHS = 6  # x = y = 33.4%: epochs 1-2 CL only, 3-4 both, 5-6 KL only
ITERS = 24  # by iteration: 8 iterations a pass; 1-8 CL, 9-16 both, 17-24 KL
BY_ITER = [
    'train_cfg = dict(_delete_=True, type="IterBasedTrainLoop", '
    f'max_iters={ITERS}, val_interval=8)',
    'param_scheduler = [dict(type="LinearLR", start_factor=0.01, '
    'by_epoch=False, begin=0, end=8), dict(type="CosineAnnealingLR", '
    f'eta_min=1e-5, by_epoch=False, begin=8, end={ITERS})]',
    'default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4, '
    'max_keep_ckpts=-1), logger=dict(interval=2))',
    'log_processor = dict(by_epoch=False)',
]


def write_config(path, data_root, reseed=True, by_iter=False):
    hooks = [
        f'dict(type="StageSwitchHook", x=33.4, y=33.4, '
        f'by_epoch={not by_iter})', 'dict(type="SafeEMAHook", momentum=0.1)'
    ]
    if reseed:
        hooks.append('dict(type="ReseedHook")')
    path.write_text('\n'.join([
        f'_base_ = [{PAIR_CONFIG!r}]',
        f'train_dataloader = dict(batch_size=32, dataset=dict('
        f'data_root={str(data_root)!r}, indices=256))',
        f'val_dataloader = dict(dataset=dict(data_root={str(data_root)!r}, '
        'indices=64))',
        'test_dataloader = val_dataloader',
        f'train_cfg = dict(max_epochs={EPOCHS})',
        f'param_scheduler = [dict(type="LinearLR", start_factor=0.01, '
        'by_epoch=True, begin=0, end=1, convert_to_iter_based=True), '
        'dict(type="CosineAnnealingLR", eta_min=1e-5, by_epoch=True, '
        f'begin=1, end={EPOCHS}, convert_to_iter_based=True)]',
        f'custom_hooks = [{", ".join(hooks)}]',
        'default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1), '
        'logger=dict(interval=2))',
    ] + (BY_ITER if by_iter else [])))
    return str(path)


def train(config, work_dir, *args):
    return python('tools/train.py', config, '--work-dir', str(work_dir), *args)


def same_weights(a, b):
    a, b = torch.load(a), torch.load(b)
    return all(
        torch.equal(a[key][k], b[key][k])
        for key in ('state_dict', 'ema_state_dict') for k in a[key])


@pytest.fixture(scope='module')
def straight(digits_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('straight')
    config = write_config(tmp / 'cfg.py', digits_root)
    train(config, tmp / 'run')
    return config, tmp / 'run'


@pytest.mark.parametrize('k,stage', [(1, 'CL only'), (3, 'CL + KL'),
                                     (5, 'KL only')])
def test_resume_is_bit_identical_in_every_stage(straight, tmp_path, k, stage):
    config, run = straight
    log = train(config, tmp_path, '--resume', str(run / f'epoch_{k}.pth'))
    assert f'resumed epoch: {k}' in log
    # the resumed run continues in the stage it stopped in
    hook = __import__(
        'mmpretrain.registry',
        fromlist=['HOOKS'
                  ]).HOOKS.build(dict(type='StageSwitchHook', x=33.4, y=33.4))
    assert hook.stage(k - 1, EPOCHS) == hook.stage(k, EPOCHS) == stage
    assert same_weights(run / f'epoch_{EPOCHS}.pth',
                        tmp_path / f'epoch_{EPOCHS}.pth')


@pytest.fixture(scope='module')
def straight_by_iter(digits_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('straight_by_iter')
    config = write_config(tmp / 'cfg.py', digits_root, by_iter=True)
    train(config, tmp / 'run')
    return config, tmp / 'run'


@pytest.mark.parametrize('k', [12, 20])  # in CL + KL, KL only (CL only:
# test_resume_is_bit_identical_in_every_stage)
def test_resume_by_iteration_is_bit_identical(straight_by_iter, tmp_path, k):
    config, run = straight_by_iter
    log = train(config, tmp_path, '--resume', str(run / f'iter_{k}.pth'))
    assert f'resumed epoch: 0, iter: {k}' in log
    assert f'Advance dataloader {k} steps' in log  # MMEngine's replay
    assert same_weights(run / f'iter_{ITERS}.pth',
                        tmp_path / f'iter_{ITERS}.pth')


def test_without_reseed_hook_resume_by_iteration_differs(
        digits_root, tmp_path):
    config = write_config(
        tmp_path / 'cfg.py', digits_root, reseed=False, by_iter=True)
    short = ('--cfg-options', 'train_cfg.max_iters=8')  # enough to differ
    train(config, tmp_path / 'a', *short)
    train(config, tmp_path / 'b', '--resume', str(tmp_path / 'a/iter_4.pth'),
          *short)
    assert not same_weights(tmp_path / 'a/iter_8.pth',
                            tmp_path / 'b/iter_8.pth')


def test_without_reseed_hook_resume_differs(digits_root, tmp_path):
    # the reference: MMEngine alone re-seeds only at start
    config = write_config(tmp_path / 'cfg.py', digits_root, reseed=False)
    short = ('--cfg-options', 'train_cfg.max_epochs=2')  # enough to differ
    train(config, tmp_path / 'a', *short)
    train(config, tmp_path / 'b', '--resume', str(tmp_path / 'a/epoch_1.pth'),
          *short)
    assert not same_weights(tmp_path / 'a/epoch_2.pth',
                            tmp_path / 'b/epoch_2.pth')


def test_sigkill_mid_epoch_then_resume(straight, tmp_path):
    config, run = straight
    proc = subprocess.Popen([
        sys.executable,
        osp.join(ROOT, 'tools/train.py'), config, '--work-dir',
        str(tmp_path)
    ],
                            cwd=ROOT,
                            stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL,
                            env=dict(
                                __import__('os').environ, PYTHONPATH=ROOT))
    deadline = time.time() + 300
    try:
        # wait until epoch 3 is under way: epoch 2 is checkpointed
        while not any(r.get('epoch') == 3 for r in scalars(str(tmp_path))):
            assert proc.poll() is None and time.time() < deadline
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not osp.exists(tmp_path / f'epoch_{EPOCHS}.pth')
    with open(tmp_path / 'last_checkpoint') as f:
        last = f.read()
    assert osp.isfile(last) and torch.load(last)['meta']['epoch'] >= 2
    log = train(config, tmp_path, '--resume')  # the last checkpoint
    assert 'Auto resumed from the latest checkpoint' in log
    # only the killed epoch is redone, and redone exactly
    assert same_weights(run / f'epoch_{EPOCHS}.pth',
                        tmp_path / f'epoch_{EPOCHS}.pth')


def test_resume_refuses_a_checkpoint_of_another_model(straight, tmp_path):
    config, run = straight
    wide = tmp_path / 'wide.py'
    wide.write_text(f'_base_ = [{config!r}]\n'
                    'model = dict(cnn=dict(backbone=dict(base_channels=32), '
                    'head=dict(in_channels=256)))\n')  # SafeEMAHook kept
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/train.py'),
        str(wide), '--work-dir',
        str(tmp_path / 'w'), '--resume',
        str(run / 'epoch_2.pth')
    ],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          env=dict(__import__('os').environ, PYTHONPATH=ROOT))
    assert proc.returncode != 0
    assert (f"checkpoint {run / 'epoch_2.pth'}: cannot resume from it, it "
            'is of another model than the PairClassifier') in proc.stderr
    assert "wrong shape ['cnn.backbone.layer1.0" in proc.stderr
