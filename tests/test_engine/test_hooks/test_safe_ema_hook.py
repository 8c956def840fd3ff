"""EMA weights are evaluated by default; the raw ones too on request (through
MMPretrain's EMAHook)."""
import json
import os.path as osp
import sys

import pytest
import torch
from mmpretrain.registry import HOOKS

import vpl_mm  # noqa: F401

sys.path.insert(
    0,
    osp.join(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))),
        'test_tools'))
from _utils import PAIR_CONFIG, data_options, python, scalars  # noqa: E402


@pytest.fixture(scope='module')
def ema_run(tmp_path_factory, digits_root):
    """The demo pair, 2 epochs, with an EMA (momentum 0.5) whose raw
    weights are validated too."""
    work = tmp_path_factory.mktemp('ema')
    python('tools/train.py',
           PAIR_CONFIG, '--work-dir', str(work), '--cfg-options',
           *data_options(digits_root), 'train_cfg.max_epochs=2',
           'train_dataloader.dataset.indices=256',
           'custom_hooks.1.type=SafeEMAHook', 'custom_hooks.1.momentum=0.5',
           'custom_hooks.1.evaluate_on_origin=True')
    vals = [r for r in scalars(str(work)) if 'cnn/accuracy/top1' in r]
    return work, vals


def test_raw_weights_are_reported_too(ema_run):
    work, vals = ema_run
    assert len(vals) == 2
    for key in ('cnn/accuracy/top1', 'trans/accuracy/top5'):
        assert all(f'{key}_origin' in r for r in vals)
    # EMA (momentum 0.5) and raw weights are different models
    assert any(r['trans/accuracy/top1_origin'] != r['trans/accuracy/top1']
               or r['cnn/accuracy/top1_origin'] != r['cnn/accuracy/top1']
               for r in vals)
    assert 'ema_state_dict' in torch.load(work / 'epoch_2.pth')


def test_checkpoint_evaluates_the_ema_weights(ema_run, digits_root, tmp_path):
    work, vals = ema_run
    out = tmp_path / 'metrics.json'
    python('tools/test.py', PAIR_CONFIG,
           str(work / 'epoch_2.pth'), '--work-dir', str(tmp_path), '--out',
           str(out), '--out-item', 'metrics', '--cfg-options',
           *data_options(digits_root))
    metrics = json.loads(out.read_text())
    for key in ('cnn/accuracy/top1', 'trans/accuracy/top1'):
        assert metrics[key] == pytest.approx(vals[-1][key])  # EMA numbers


def test_fine_tunes_from_an_ema_checkpoint_with_new_heads(
        ema_run, digits_root, tmp_path):
    # load_from as MMEngine's EMAHook does it (MMPretrain's fails on the
    # new heads' shapes): the EMA starts from the checkpoint's EMA weights
    work, _ = ema_run
    # a 12-class data set for the 12-class heads: the digits and two more
    # classes (the heads must predict the data's classes: DataFitHook)
    data = tmp_path / 'digits12'
    for split in ('train', 'val'):
        (data / split).mkdir(parents=True)
        for folder in sorted((digits_root / split).iterdir()):
            (data / split / folder.name).symlink_to(folder)
        for extra, source in (('10', '1'), ('11', '7')):
            (data / split / extra).mkdir()
            for image in sorted((digits_root / split / source).iterdir())[:8]:
                (data / split / extra / image.name).symlink_to(image)
    python('tools/train.py', PAIR_CONFIG,
           '--work-dir', str(tmp_path / 'work'), '--cfg-options',
           *data_options(data), f'load_from={work / "epoch_2.pth"}',
           'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=64',
           'val_dataloader.dataset.indices=64',
           'custom_hooks.1.type=SafeEMAHook', 'custom_hooks.1.momentum=0.5',
           'model.cnn.head.num_classes=12', 'model.trans.head.num_classes=12',
           'data_preprocessor.num_classes=12')
    source = torch.load(work / 'epoch_2.pth')['state_dict']
    tuned = torch.load(tmp_path / 'work' / 'epoch_1.pth')['state_dict']
    assert tuned['cnn.head.fc.weight'].shape == (12, 128)
    # the backbones come from the checkpoint (one small warm-up step since)
    key = 'cnn.backbone.conv1.weight'
    assert (tuned[key] - source[key]).norm() < 0.05 * source[key].norm()


def test_default_validates_the_ema_weights_only():
    from mmpretrain.engine.hooks import EMAHook
    hook = HOOKS.build(dict(type='SafeEMAHook', momentum=0.1))
    assert isinstance(hook, EMAHook)
    assert hook.evaluate_on_ema and not hook.evaluate_on_origin
