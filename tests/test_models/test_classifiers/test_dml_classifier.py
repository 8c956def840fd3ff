"""DML (paper Table 3): one train_step against a hand-written reference."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from tiny_models import TINY_DEIT

import vpl_mm  # noqa: F401


def kl(target_logits, logits):
    """KL(softmax(target) || softmax(logits)), batch mean, T = 1."""
    p = F.softmax(target_logits, 1)
    return (p * (F.log_softmax(target_logits, 1) - F.log_softmax(logits, 1))
            ).sum(1).mean()


def reference_step(cnn, trans, x, y, fresh=True):
    """DML's Algorithm 1, by hand, with one optimizer per network. (SGD:
    Adam's first step would blow float noise in near-zero gradients up to
    full-size updates.)"""
    opt_c = torch.optim.SGD(cnn.parameters(), lr=0.1, weight_decay=0.05)
    opt_t = torch.optim.SGD(trans.parameters(), lr=0.1, weight_decay=0.05)
    z_c, z_t = cnn(x), trans(x)
    loss_c = F.cross_entropy(z_c, y) + kl(z_t.detach(), z_c)
    opt_c.zero_grad()
    loss_c.backward()
    opt_c.step()
    partner = z_c.detach()
    if fresh:  # the transformer learns from the *updated* CNN
        # in train mode (batch statistics), but BatchNorm's running
        # statistics see the batch once: put them back afterwards
        buffers = copy.deepcopy(dict(cnn.named_buffers()))
        with torch.no_grad():
            partner = cnn(x)
            for name, buf in cnn.named_buffers():
                buf.copy_(buffers[name])
    loss_t = F.cross_entropy(z_t, y) + kl(partner, z_t)
    opt_t.zero_grad()
    loss_t.backward()
    opt_t.step()


@pytest.fixture
def dml_cfg(tiny_cnn_cfg, tiny_trans_cfg):
    return dict(type='DMLClassifier', cnn=tiny_cnn_cfg, trans=tiny_trans_cfg)


def params(module):
    return [p.detach().clone() for p in module.parameters()]


def test_train_step_matches_reference(dml_cfg, batch):
    torch.manual_seed(0)
    model = MODELS.build(dml_cfg)
    model.init_weights()
    model.train()
    ref_cnn, ref_trans = copy.deepcopy(model.cnn), copy.deepcopy(model.trans)
    stale_cnn, stale_trans = copy.deepcopy(ref_cnn), copy.deepcopy(ref_trans)
    inputs, samples = batch
    labels = torch.cat([s.gt_label for s in samples])

    reference_step(ref_cnn, ref_trans, inputs, labels)
    reference_step(stale_cnn, stale_trans, inputs, labels, fresh=False)
    optim = OptimWrapper(
        torch.optim.SGD(model.parameters(), lr=0.1, weight_decay=0.05))
    log_vars = model.train_step(
        dict(inputs=inputs, data_samples=samples), optim)

    for got, want in ((model.cnn, ref_cnn), (model.trans, ref_trans)):
        for a, b in zip(params(got), params(want)):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)
        # BatchNorm's running statistics too
        for (key, a), b in zip(got.named_buffers(), want.buffers()):
            torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6, msg=key)
    # each batch once: one update of the running statistics per iteration
    tracked = [
        b for k, b in model.cnn.named_buffers()
        if k.endswith('num_batches_tracked')
    ]
    assert tracked and all(int(b) == 1 for b in tracked)
    # the update order matters: a stale partner gives another transformer
    assert any(not torch.allclose(a, b, atol=1e-6)
               for a, b in zip(params(model.trans), params(stale_trans)))
    assert {'loss', 'loss_cnn', 'loss_kl_cnn', 'loss_trans',
            'loss_kl_trans'} <= set(log_vars)


def test_loss_and_predict_modes(dml_cfg, batch):
    model = MODELS.build(dml_cfg).eval()
    inputs, samples = batch
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {
        'loss_cnn', 'loss_kl_cnn', 'loss_trans', 'loss_kl_trans'
    }
    preds = model(inputs, copy.deepcopy(samples), mode='predict')
    assert preds[0].cnn.pred_score.shape == (10, )


def test_refuses_a_distillation_token(dml_cfg):
    """DML's terms read each branch's logits (the mean of both tokens' for
    DistTokenClsHead): nothing would teach the token apart."""
    with pytest.raises(ValueError, match='branch `trans`.*distillation'):
        MODELS.build(dict(dml_cfg, trans=copy.deepcopy(TINY_DEIT)))
