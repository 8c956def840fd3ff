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


def close(loss, expected):
    """An fp32 loss against a float64 reference."""
    assert loss.item() == pytest.approx(expected.item(), rel=1e-5, abs=1e-7)


def kl_by_hand(target, student, temperature):
    """KL(softmax(target/T) || softmax(student/T)) per sample, float64."""
    p = (target.detach().double() / temperature).softmax(1)
    log_q = (student.detach().double() / temperature).log_softmax(1)
    return (p * (p.log() - log_q)).sum(1)


def test_kd_is_cnn_to_trans_kl_with_t_squared_beside_eq6():
    head = build_head(
        kd_loss=dict(type='PairKLDivLoss', temperature=4.0, t_squared=True))
    h_cnn, h_trans, z_cnn, z_trans = inputs()
    losses = head.loss(h_cnn, h_trans, z_cnn, z_trans)
    assert set(losses) == {'loss_cl', 'loss_kd', 'loss_kl'}
    # KL(p_cnn || p_trans) at T = 4, times T^2; eq. 6 unchanged beside it
    close(losses['loss_kd'], 16 * kl_by_hand(z_cnn, z_trans, 4.0).mean())
    close(losses['loss_kl'], kl_by_hand(z_trans, z_cnn, 1.0).mean())
    losses['loss_kd'].backward()  # the CNN is the detached target
    assert z_cnn.grad is None and z_trans.grad.abs().sum() > 0


def test_kd_hard_label_form():
    head = build_head(kd_loss=dict(type='PairHardLabelLoss'))
    h_cnn, h_trans, z_cnn, z_trans = inputs()
    loss = head.loss(h_cnn, h_trans, z_cnn, z_trans)['loss_kd']
    expected = -z_trans.double().log_softmax(1)[torch.arange(5),
                                                z_cnn.argmax(1)].mean()
    close(loss, expected)


def test_each_direction_has_its_own_gate_at_its_temperature():
    # sample 0: at T = 1 the transformer gives the true class more
    # probability than the CNN (0.79 vs 0.53), at T = 4 less (0.45 vs 0.47);
    # sample 1: the CNN is better at both
    z_cnn = torch.tensor([[3.0, 2.9, -5.0], [0.0, 3.0, 0.0]])
    z_trans = torch.tensor([[2.0, 0.0, 0.0], [0.0, 0.5, 0.0]])
    labels = torch.tensor([0, 1])
    rows = torch.arange(2)

    def p(z, t):
        return (z / t).softmax(1)[rows, labels]

    # the flip this test relies on: sample 0 is 'CNN better' at T = 1 only
    assert p(z_cnn, 1.)[0] < p(z_trans, 1.)[0]
    assert p(z_cnn, 4.)[0] > p(z_trans, 4.)[0]
    assert p(z_cnn, 1.)[1] > p(z_trans, 1.)[1]
    assert p(z_cnn, 4.)[1] > p(z_trans, 4.)[1]
    head = MODELS.build(
        dict(
            type='PairLearningHead',
            cnn_channels=4,
            trans_channels=4,
            kl_loss=dict(type='PairKLDivLoss', temperature=4.0),
            kl_gate='target_better',
            kd_loss=dict(type='PairKLDivLoss', temperature=4.0),
            kd_gate='target_better'))
    h = torch.randn(2, 4)
    losses = head.loss(h, h, z_cnn, z_trans, labels)
    # at T = 4 the CNN is better on both samples: the CNN-to-transformer
    # term keeps both, eq. 6 (transformer as target) keeps none
    assert losses['kd_keep'].item() == 1.0
    assert losses['kl_keep'].item() == 0.0
    close(losses['loss_kd'], kl_by_hand(z_cnn, z_trans, 4.0).mean())
    assert losses['loss_kl'].item() == 0.0
    # at T = 1 sample 0 changes sides
    head.kl_loss.temperature = head.kd_loss.temperature = 1.0
    losses = head.loss(h, h, z_cnn, z_trans, labels)
    assert losses['kd_keep'].item() == 0.5
    assert losses['kl_keep'].item() == 0.5
    close(losses['loss_kd'], kl_by_hand(z_cnn, z_trans, 1.0)[1] / 2)
    close(losses['loss_kl'], kl_by_hand(z_trans, z_cnn, 1.0)[0] / 2)


def test_mlp_projection_for_the_contrastive_term():
    head = build_head(cl_proj=dict(out_channels=8))
    assert head.proj is None
    for side, size in (('cnn', 6), ('trans', 4)):
        mlp = head.cl_proj[side]
        assert [type(m).__name__ for m in mlp] == ['Linear', 'ReLU', 'Linear']
        assert (mlp[0].in_features, mlp[0].out_features,
                mlp[2].out_features) == (size, size, 8)
    h_cnn, h_trans, z_cnn, z_trans = inputs()
    loss = head.loss(h_cnn, h_trans, z_cnn, z_trans)['loss_cl']

    def mlp_by_hand(m, x):
        return torch.relu(x @ m[0].weight.t() +
                          m[0].bias) @ m[2].weight.t() + m[2].bias

    torch.testing.assert_close(
        loss,
        PairContrastiveLoss()(mlp_by_hand(head.cl_proj['cnn'], h_cnn),
                              mlp_by_hand(head.cl_proj['trans'], h_trans)))
    loss.backward()  # restricted: the CNN's MLP learns, the CNN does not
    assert h_cnn.grad is None and h_trans.grad.abs().sum() > 0
    assert head.cl_proj['cnn'][0].weight.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='unknown `cl_proj` keys'):
        build_head(cl_proj=dict(out=8))


def test_feature_guidance_reaches_only_the_transformer():
    head = build_head(
        feat_loss=dict(
            type='PairFeatureLoss', cnn_channels=[3], trans_channels=[2]),
        feat_layers=dict(cnn=['a'], trans=['b']))
    f_cnn = torch.randn(5, 3, 2, 2, requires_grad=True)
    f_trans = torch.randn(5, 2, 2, 2, requires_grad=True)
    h_cnn, h_trans, z_cnn, z_trans = inputs()
    losses = head.loss(
        h_cnn,
        h_trans,
        z_cnn,
        z_trans,
        feats=dict(cnn=[f_cnn], trans=[f_trans]))
    torch.testing.assert_close(losses['loss_feat'],
                               head.feat_loss([f_cnn], [f_trans]))
    losses['loss_feat'].backward()
    assert f_cnn.grad is None and f_trans.grad.abs().sum() > 0
    with pytest.raises(ValueError, match='go together'):
        build_head(
            feat_loss=dict(
                type='PairFeatureLoss', cnn_channels=[3], trans_channels=[2]))


def test_stages_switch_the_terms_in_two_groups():
    head = build_head(
        kd_loss=dict(type='PairHardLabelLoss'), kl_gate='target_better')
    labels = torch.tensor([0, 1, 2, 0, 1])
    expected = {
        'CL only': {'loss_cl', 'loss_kd'},
        'CL + KL': {'loss_cl', 'loss_kd', 'loss_kl', 'kl_keep'},
        'KL only': {'loss_kl', 'kl_keep'},
    }
    for stage, keys in expected.items():
        head.set_stage(stage)
        assert set(head.loss(*inputs(), labels)) == keys
        assert set(head.log_keys()) == keys
        assert set(head.log_keys(active=False)) == (expected['CL + KL'] - keys)
    assert head.set_stage('KL only') is False
    assert head.set_stage('CL only') is True
    with pytest.raises(ValueError, match='unknown stage'):
        head.set_stage('warm-up')


def test_no_kl_term():
    head = build_head(kl_loss=None)
    head.set_stage('CL + KL')
    assert set(head.loss(*inputs())) == {'loss_cl'}
