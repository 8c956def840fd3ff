"""An EMA source of the PLM (PartnerEMA) end to end: it trains, is saved in
the checkpoint, resumes bit-exactly, and stays out of the optimizer and of
exported branches."""
import pytest
import torch
from _utils import PAIR_CONFIG, python

import vpl_mm  # noqa: F401

EPOCHS = 4  # x = y = 20: epoch 1 CL only, 2-3 both, 4 KL only
# feature guidance and a logit term from an EMA of the CNN, ramped up
HEAD = '''
model = dict(pair_head=dict(
    ema=dict(type='ExponentialMovingAverage', momentum=0.2),
    terms=dict(
        kd=dict(learner='trans', inputs='logits', source='ema',
                loss=dict(type='PairKLDivLoss', temperature=4.0)),
        feat=dict(learner='trans', source='ema', stage='cl',
                  inputs=dict(cnn=['backbone.layer2'],
                              trans=['backbone.layers.1']),
                  loss=dict(type='PairFeatureLoss'),
                  schedule=dict(type='SigmoidRampUpWeight', end=0.5)))))
'''


def write_config(path, data_root):
    path.write_text('\n'.join([
        f'_base_ = [{PAIR_CONFIG!r}]',
        HEAD,
        f'train_dataloader = dict(batch_size=32, dataset=dict('
        f'data_root={str(data_root)!r}, indices=128))',
        'val_dataloader = None',
        'val_cfg = None',
        'val_evaluator = None',
        f'train_cfg = dict(max_epochs={EPOCHS}, val_interval={EPOCHS + 1})',
        f'param_scheduler = [dict(type="LinearLR", start_factor=0.01, '
        'by_epoch=True, begin=0, end=1, convert_to_iter_based=True), '
        'dict(type="CosineAnnealingLR", eta_min=1e-5, by_epoch=True, '
        f'begin=1, end={EPOCHS}, convert_to_iter_based=True)]',
        'default_hooks = dict(checkpoint=dict(max_keep_ckpts=-1), '
        'logger=dict(interval=1))',
    ]))
    return str(path)


@pytest.fixture(scope='module')
def straight(digits_root, tmp_path_factory):
    tmp = tmp_path_factory.mktemp('ema_source')
    config = write_config(tmp / 'cfg.py', digits_root)
    python('tools/train.py', config, '--work-dir', str(tmp / 'run'))
    return config, tmp / 'run'


def test_ema_source_is_saved_and_follows_the_cnn(straight):
    _, run = straight
    state = torch.load(run / f'epoch_{EPOCHS}.pth')['state_dict']
    ema = {
        k[len('pair_head.ema.cnn.average.module.'):]: v
        for k, v in state.items()
        if k.startswith('pair_head.ema.cnn.average.module.')
    }
    cnn = {k[4:]: v for k, v in state.items() if k.startswith('cnn.')}
    assert ema.keys() == cnn.keys()  # weights and BatchNorm buffers
    # one update per training iteration (128 images / 32 a batch)
    assert int(state['pair_head.ema.cnn.average.steps']) == 4 * EPOCHS
    # an average, not a copy, of weights that moved
    assert not torch.equal(ema['head.fc.weight'], cnn['head.fc.weight'])


def test_ema_source_resumes_bit_identically(straight, tmp_path):
    config, run = straight
    log = python('tools/train.py', config, '--work-dir', str(tmp_path),
                 '--resume', str(run / 'epoch_2.pth'))
    assert 'resumed epoch: 2' in log
    a = torch.load(run / f'epoch_{EPOCHS}.pth')
    b = torch.load(tmp_path / f'epoch_{EPOCHS}.pth')
    assert a['state_dict'].keys() == b['state_dict'].keys()
    for k, v in a['state_dict'].items():
        assert torch.equal(v, b['state_dict'][k]), k


def test_ema_source_is_not_trained_nor_exported(straight, tmp_path):
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    from vpl_mm.export import extract_branch
    config, run = straight
    cfg = Config.fromfile(config)
    # without paramwise_cfg too: the average holds buffers, not parameters
    cfg.optim_wrapper.pop('paramwise_cfg')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
    in_optimizer = {
        id(p)
        for g in optim.optimizer.param_groups
        for p in g['params']
    }
    average = model.pair_head.ema['cnn']
    assert not list(average.parameters())
    assert not any(id(t) in in_optimizer for t in average.buffers())
    assert len(in_optimizer) == len(list(model.parameters()))
    _, ckpt = extract_branch(config, str(run / f'epoch_{EPOCHS}.pth'), 'cnn',
                             str(tmp_path))
    exported = torch.load(ckpt)['state_dict']
    assert not any('pair_head' in k or 'ema' in k for k in exported)
    saved = torch.load(run / f'epoch_{EPOCHS}.pth')['state_dict']
    for k, v in exported.items():
        assert torch.equal(v, saved[f'cnn.{k}'])  # the live CNN's
