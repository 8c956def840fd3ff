import pytest
import torch
from mmengine.config import Config

import vpl_mm  # noqa: F401
from vpl_mm.utils import adapt_cfg_to_machine


def make_cfg(**kwargs):
    cfg = dict(
        launcher='none',
        optim_wrapper=dict(
            type='AmpOptimWrapper',
            loss_scale='dynamic',
            optimizer=dict(type='AdamW', lr=1e-3)),
        train_dataloader=dict(num_workers=0, persistent_workers=True),
        val_dataloader=dict(num_workers=2, persistent_workers=True))
    cfg.update(kwargs)
    return Config(cfg)


def test_no_persistent_workers_without_workers():
    cfg = adapt_cfg_to_machine(make_cfg())
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.val_dataloader.persistent_workers is True


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_becomes_bf16_on_cpu():
    cfg = adapt_cfg_to_machine(make_cfg())
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert 'loss_scale' not in cfg.optim_wrapper
    # and the result builds
    from mmpretrain.registry import OPTIM_WRAPPERS
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    wrapper = OPTIM_WRAPPERS.build(
        dict(cfg.optim_wrapper, optimizer=optimizer))
    assert type(wrapper) is OPTIM_WRAPPERS.get('CPUAmpOptimWrapper')


def test_single_process_config_is_left_alone():
    cfg = adapt_cfg_to_machine(
        make_cfg(optim_wrapper=dict(type='OptimWrapper')))
    assert 'model_wrapper_cfg' not in cfg
    assert cfg.optim_wrapper.type == 'OptimWrapper'
