"""Speed/memory switches, one training step each on CPU: channels_last,
activation checkpointing, gradient accumulation."""
import copy

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmpretrain.registry import MODELS

import vpl_mm  # noqa: F401


def build(pair_cfg, seed=0, **kwargs):
    torch.manual_seed(seed)
    model = MODELS.build(dict(copy.deepcopy(pair_cfg), **kwargs))
    model.init_weights()
    return model


def grads_of(model, batch):
    torch.manual_seed(0)  # the same drop-path draws for every model
    model.zero_grad()
    losses = model(*batch, mode='loss')
    sum(losses.values()).backward()
    return {
        k: p.grad.clone()
        for k, p in model.named_parameters() if p.grad is not None
    }


def state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def params(model):
    return {k: p.detach().clone() for k, p in model.named_parameters()}


def same(a, b, atol=1e-6, rtol=1e-4):
    return a.keys() == b.keys() and all(
        torch.allclose(a[k].float(), b[k].float(), atol=atol, rtol=rtol)
        for k in a)


def one_step(model, batch):
    wrapper = build_optim_wrapper(model,
                                  dict(optimizer=dict(type='AdamW', lr=1e-3)))
    before = state(model)
    log_vars = model.train_step(
        dict(inputs=batch[0], data_samples=batch[1]), wrapper)
    assert torch.isfinite(log_vars['loss'])
    return not same(before, state(model), atol=0, rtol=0)


def test_channels_last(pair_cfg, batch):
    plain = build(pair_cfg)
    fast = build(pair_cfg, channels_last=['cnn'])
    fast.load_state_dict(plain.state_dict())
    conv = fast.cnn.backbone.conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last)
    assert not plain.cnn.backbone.conv1.weight.is_contiguous(
        memory_format=torch.channels_last)
    # same numbers, other layout
    assert same(plain(batch[0]), fast(batch[0]))
    assert same(grads_of(plain, batch), grads_of(fast, batch))
    assert one_step(fast, batch)
    assert conv.is_contiguous(memory_format=torch.channels_last)


def test_grad_checkpoint(pair_cfg, batch):
    plain = build(pair_cfg)
    saving = build(pair_cfg, grad_checkpoint=dict(trans=['backbone.layers']))
    # names unchanged: checkpoints load both ways, export is unaffected
    assert state(saving).keys() == state(plain).keys()
    saving.load_state_dict(plain.state_dict())
    assert type(saving.trans.backbone.layers[0]).__name__ == \
        'CheckpointWrapper'
    # (parameter names gain torch's wrapper prefix; the values are equal)
    grads = {
        k.replace('_checkpoint_wrapped_module.', ''): g
        for k, g in grads_of(saving, batch).items()
    }
    assert same(grads_of(plain, batch), grads)
    assert one_step(saving, batch)
    with pytest.raises(ValueError, match="no module 'backbone.blocks'"):
        build(pair_cfg, grad_checkpoint=dict(trans=['backbone.blocks']))
    with pytest.raises(ValueError, match=r"unknown branches \['vit'\]"):
        build(pair_cfg, channels_last=['vit'])


def test_resnet_with_cp(pair_cfg, batch):
    pair_cfg['cnn']['backbone']['with_cp'] = True
    assert one_step(build(pair_cfg), batch)


def test_gradient_accumulation(pair_cfg, batch):
    # two iterations with accumulative_counts=2 = one AdamW step on the
    # mean of the two iterations' gradients
    halves = [(batch[0][:4], batch[1][:4]), (batch[0][4:], batch[1][4:])]
    model = build(pair_cfg)
    reference = build(pair_cfg)
    wrapper = build_optim_wrapper(
        model,
        dict(optimizer=dict(type='AdamW', lr=1e-3), accumulative_counts=2))
    start = params(model)
    model.train_step(
        dict(inputs=halves[0][0], data_samples=halves[0][1]), wrapper)
    assert same(start, params(model), atol=0, rtol=0)  # no step yet
    model.train_step(
        dict(inputs=halves[1][0], data_samples=halves[1][1]), wrapper)
    g1, g2 = (grads_of(reference, half) for half in halves)
    optimizer = torch.optim.AdamW(reference.parameters(), lr=1e-3)
    for k, p in reference.named_parameters():
        p.grad = (g1[k] + g2[k]) / 2 if k in g1 else None
    optimizer.step()
    assert same(state(model), state(reference))


def test_dml_refuses_gradient_accumulation(tiny_cnn_cfg, tiny_trans_cfg,
                                           batch):
    model = MODELS.build(
        dict(type='DMLClassifier', cnn=tiny_cnn_cfg, trans=tiny_trans_cfg))
    wrapper = build_optim_wrapper(
        model,
        dict(optimizer=dict(type='AdamW', lr=1e-3), accumulative_counts=2))
    with pytest.raises(ValueError, match='accumulative_counts=2'):
        model.train_step(dict(inputs=batch[0], data_samples=batch[1]), wrapper)


def test_compile(pair_cfg, batch):
    # aot_eager: dynamo and autograd tracing without C++ code generation
    plain = build(pair_cfg)
    fast = build(pair_cfg, compile=dict(backend='aot_eager'))
    fast.load_state_dict(plain.state_dict())
    assert same(plain(batch[0]), fast(batch[0]))
    assert same(grads_of(plain, batch), grads_of(fast, batch))
    assert one_step(fast, batch)
    # a deep copy (MMEngine's EMA) runs its own weights, not the original's
    twin = copy.deepcopy(fast)
    for p in twin.parameters():
        p.data.zero_()
    assert not same(fast(batch[0]), twin(batch[0]))
