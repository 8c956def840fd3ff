import pytest
import torch
from mmpretrain.registry import MODELS

import vpl_mm  # noqa: F401
from vpl_mm.models import PairContrastiveLoss, PairKLDivLoss


def build_head(**kwargs):
    cfg = dict(type='PairLearningHead', cnn_channels=6, trans_channels=4)
    cfg.update(kwargs)
    return MODELS.build(cfg)


def inputs(requires_grad=True):
    g = torch.Generator().manual_seed(0)
    tensors = [
        torch.randn(5, 6, generator=g),
        torch.randn(5, 4, generator=g),
        torch.randn(5, 3, generator=g),
        torch.randn(5, 3, generator=g)
    ]
    return [t.requires_grad_(requires_grad) for t in tensors]


def test_values_follow_the_losses():
    head = build_head(
        cl_loss=dict(type='PairContrastiveLoss', temperature=0.5),
        kl_loss=dict(type='PairKLDivLoss', temperature=2.0))
    h_cnn, h_trans, z_cnn, z_trans = inputs()
    losses = head.loss(h_cnn, h_trans, z_cnn, z_trans)
    assert set(losses) == {'loss_cl', 'loss_kl'}
    expected_cl = PairContrastiveLoss(0.5)(head.proj(h_cnn), h_trans)
    expected_kl = PairKLDivLoss(2.0)(z_cnn, z_trans)
    torch.testing.assert_close(losses['loss_cl'], expected_cl)
    torch.testing.assert_close(losses['loss_kl'], expected_kl)


@pytest.mark.parametrize('use_cl,use_kl,keys', [(True, False, {'loss_cl'}),
                                                (False, True, {'loss_kl'}),
                                                (False, False, set())])
def test_flags_select_terms(use_cl, use_kl, keys):
    head = build_head()
    head.use_cl, head.use_kl = use_cl, use_kl
    assert set(head.loss(*inputs())) == keys


def test_restricted_gradients():
    head = build_head()
    h_cnn, h_trans, z_cnn, z_trans = inputs()
    losses = head.loss(h_cnn, h_trans, z_cnn, z_trans)
    losses['loss_cl'].backward(retain_graph=True)
    assert h_cnn.grad is None and z_cnn.grad is None
    assert h_trans.grad.abs().sum() > 0
    assert head.proj.weight.grad.abs().sum() > 0
    losses['loss_kl'].backward()
    assert z_trans.grad is None and z_cnn.grad.abs().sum() > 0


def test_bi_gradients():
    head = build_head(restrict_grad=False)
    h_cnn, h_trans, z_cnn, z_trans = inputs()
    losses = head.loss(h_cnn, h_trans, z_cnn, z_trans)
    losses['loss_cl'].backward()
    losses['loss_kl'].backward()
    for t in (h_cnn, h_trans, z_cnn, z_trans):
        assert t.grad.abs().sum() > 0


def test_projection_side():
    head = build_head(proj_side='trans')
    assert tuple(head.proj.weight.shape) == (6, 4)
    h_cnn, h_trans, z_cnn, z_trans = inputs()
    loss = head.loss(h_cnn, h_trans, z_cnn, z_trans)['loss_cl']
    torch.testing.assert_close(
        loss,
        PairContrastiveLoss()(h_cnn, head.proj(h_trans)))
    assert tuple(build_head().proj.weight.shape) == (4, 6)


def test_no_projection_for_equal_sizes():
    head = MODELS.build(
        dict(type='PairLearningHead', cnn_channels=4, trans_channels=4))
    assert head.proj is None and not list(head.parameters())


def test_projection_stays_in_graph_when_cl_is_off():
    # DDP (find_unused_parameters=False) needs every parameter in the graph.
    head = build_head()
    head.use_cl = False
    head.loss(*inputs())['loss_kl'].backward()
    assert head.proj.weight.grad is not None
    assert head.proj.weight.grad.abs().sum() == 0


def test_rejects_differing_sizes_without_projection():
    with pytest.raises(ValueError, match='cnn 6, trans 4'):
        build_head(with_proj=False)


def test_rejects_unknown_projection_side():
    with pytest.raises(ValueError, match='proj_side'):
        build_head(proj_side='both')


def test_rejects_bad_temperatures():
    with pytest.raises(ValueError, match='temperature'):
        build_head(cl_loss=dict(type='PairContrastiveLoss', temperature=0))
    with pytest.raises(ValueError, match='temperature'):
        build_head(kl_loss=dict(type='PairKLDivLoss', temperature=-1))


def test_kl_target_cnn_swaps_the_kl_and_its_restriction():
    head = build_head(kl_target='cnn')
    h_cnn, h_trans, z_cnn, z_trans = inputs()
    loss = head.loss(h_cnn, h_trans, z_cnn, z_trans)['loss_kl']
    # KL(p_cnn || p_trans), by hand
    p = z_cnn.detach().double().softmax(1)
    expected = (
        p *
        (p.log() - z_trans.detach().double().log_softmax(1))).sum(1).mean()
    torch.testing.assert_close(loss.double(), expected)
    loss.backward()  # the target (the CNN) is detached
    assert z_cnn.grad is None and z_trans.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='`kl_target` must be one of'):
        build_head(kl_target='vit')


@pytest.mark.parametrize('gate', ['target_better', 'target_correct'])
def test_kl_gate_keeps_only_samples_where_the_target_is_no_worse(gate):
    head = build_head(kl_gate=gate)
    h_cnn, h_trans, z_cnn, z_trans = inputs()
    labels = torch.tensor([0, 1, 2, 0, 1])
    loss = head.loss(h_cnn, h_trans, z_cnn, z_trans, labels)['loss_kl']
    p_cnn, p_trans = z_cnn.softmax(1), z_trans.softmax(1)
    keep = [
        i for i in range(5)
        if (p_trans[i, labels[i]] >= p_cnn[i, labels[i]] if gate ==
            'target_better' else int(z_trans[i].argmax()) == labels[i])
    ]
    assert 0 < len(keep) < 5  # the gate does gate here
    expected = PairKLDivLoss()(z_cnn[keep], z_trans[keep]) * len(keep) / 5
    torch.testing.assert_close(loss, expected)
    with pytest.raises(ValueError, match='needs the labels'):
        head.loss(h_cnn, h_trans, z_cnn, z_trans)
    with pytest.raises(ValueError, match='`kl_gate` must be one of'):
        build_head(kl_gate='confident')
