import copy

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from tiny_models import TINY_CNN, TINY_TRANS

import vpl_mm  # noqa: F401
from vpl_mm.models import PairContrastiveLoss
from vpl_mm.models.utils import set_training_progress

CL = dict(type='PairContrastiveLoss', temperature=1.0)
KL = dict(type='PairKLDivLoss', temperature=1.0)
LAYERS = dict(cnn=['backbone.layer2'], trans=['backbone.layers.0'])


def branches(trans_dims=32):
    trans = copy.deepcopy(TINY_TRANS)
    trans['backbone']['arch']['embed_dims'] = trans_dims
    trans['head']['in_channels'] = trans_dims
    return dict(
        cnn=MODELS.build(copy.deepcopy(TINY_CNN)), trans=MODELS.build(trans))


def build_head(trans_dims=32, **kwargs):
    """A head prepared for the tiny branches (64-d CNN, 32-d ViT)."""
    head = MODELS.build(dict(type='PairLearningHead', **kwargs))
    head.prepare(branches(trans_dims))
    return head


def outputs(requires_grad=True, n=5, cnn=64, trans=32):
    g = torch.Generator().manual_seed(0)
    out = {
        name:
        dict(
            embed=torch.randn(n, size, generator=g),
            logits=torch.randn(n, 3, generator=g),
            layers=None)
        for name, size in (('cnn', cnn), ('trans', trans))
    }
    for side in out.values():
        for t in (side['embed'], side['logits']):
            t.requires_grad_(requires_grad)
    return out


def kl(p_logits, q_logits, t=1.0):
    """KL(p || q) of softmaxes at temperature t, per sample (float64)."""
    p = (p_logits.detach().double() / t).softmax(1)
    return (p * (p.log() - (q_logits.double() / t).log_softmax(1))).sum(1)


def test_default_table_is_the_paper_plm():
    head = build_head()
    assert list(head.terms) == ['cl', 'kl']
    cl, kl_term = head.terms['cl'], head.terms['kl']
    assert (cl.learner, cl.inputs, cl.stage) == ('trans', 'embed', 'cl')
    assert (kl_term.learner, kl_term.inputs, kl_term.stage) == ('cnn',
                                                                'logits', 'kl')
    out = outputs()
    losses = head.loss(out)
    assert list(losses) == ['loss_cl', 'loss_kl']
    h, z = ({k: out[k][f] for k in out} for f in ('embed', 'logits'))
    torch.testing.assert_close(
        losses['loss_cl'],
        PairContrastiveLoss()(cl.proj(h['cnn']), h['trans']))
    # eq. 6: KL(p_trans || p_cnn), by hand
    torch.testing.assert_close(losses['loss_kl'].double(),
                               kl(z['trans'], z['cnn']).mean())


@pytest.mark.parametrize('groups,keys', [(['cl'], ['loss_cl']),
                                         (['kl'], ['loss_kl']), ([], [])])
def test_groups_select_terms(groups, keys):
    head = build_head()
    assert head.activate(groups)
    assert not head.activate(groups)  # no change the second time
    assert list(head.loss(outputs())) == keys == head.log_keys()
    assert set(
        head.log_keys(active=False)) == {'loss_cl', 'loss_kl'} - set(keys)


def test_an_ungrouped_term_is_always_on():
    head = build_head(
        terms=dict(kd=dict(learner='trans', inputs='logits', loss=KL)))
    head.activate([])
    assert list(head.loss(outputs())) == ['loss_kd']


def test_gradient_reaches_only_the_learner():
    head = build_head()
    out = outputs()
    losses = head.loss(out)
    losses['loss_cl'].backward(retain_graph=True)
    assert out['cnn']['embed'].grad is None
    assert out['trans']['embed'].grad.abs().sum() > 0
    assert head.terms['cl'].proj.weight.grad.abs().sum() > 0
    losses['loss_kl'].backward()
    assert out['trans']['logits'].grad is None
    assert out['cnn']['logits'].grad.abs().sum() > 0


def test_bidirectional_reaches_both():
    head = build_head(
        terms=dict(
            cl=dict(
                learner='trans', inputs='embed', loss=CL, bidirectional=True),
            kl=dict(
                learner='cnn', inputs='logits', loss=KL, bidirectional=True)))
    out = outputs()
    sum(head.loss(out).values()).backward()
    for side in out.values():
        assert side['embed'].grad.abs().sum() > 0
        assert side['logits'].grad.abs().sum() > 0


def test_no_projection_for_equal_sizes():
    head = build_head(trans_dims=64)
    assert head.terms['cl'].proj is None and not list(head.parameters())


def test_projection_stays_in_graph_when_its_term_is_off():
    # DDP (find_unused_parameters=False) needs every parameter in the graph.
    head = build_head()
    head.activate(['kl'])
    head.loss(outputs())['loss_kl'].backward()
    grad = head.terms['cl'].proj.weight.grad
    assert grad is not None and grad.abs().sum() == 0


def test_turned_around_kl_learns_the_cnn_prediction():
    head = build_head(
        terms=dict(kl=dict(learner='trans', inputs='logits', loss=KL)))
    out = outputs()
    loss = head.loss(out)['loss_kl']
    torch.testing.assert_close(
        loss.double(),
        kl(out['cnn']['logits'], out['trans']['logits']).mean())
    loss.backward()  # the target (the CNN) is detached
    assert out['cnn']['logits'].grad is None
    assert out['trans']['logits'].grad.abs().sum() > 0


@pytest.mark.parametrize('gate', ['target_better', 'target_correct'])
def test_gate_keeps_only_samples_where_the_target_is_no_worse(gate):
    head = build_head(
        terms=dict(
            kl=dict(
                learner='cnn',
                inputs='logits',
                gate=gate,
                loss=dict(type='PairKLDivLoss', temperature=2.0))))
    out = outputs(requires_grad=False, n=64)
    labels = torch.randint(
        0, 3, (64, ), generator=torch.Generator().manual_seed(1))
    losses = head.loss(out, labels)
    z_cnn, z_trans = out['cnn']['logits'], out['trans']['logits']
    rows = torch.arange(64)
    if gate == 'target_correct':
        keep = z_trans.argmax(1) == labels
    else:
        p_t = (z_trans / 2).softmax(1)[rows, labels]
        p_s = (z_cnn / 2).softmax(1)[rows, labels]
        keep = p_t >= p_s
    assert 0 < keep.sum() < 64
    expected = (kl(z_trans, z_cnn, 2.0) * keep).sum() / 64
    torch.testing.assert_close(losses['loss_kl'].double(), expected)
    assert losses['kl_keep'].item() == pytest.approx(keep.float().mean())
    with pytest.raises(ValueError, match='needs the labels'):
        head.loss(out)


def test_each_term_has_its_own_gate_at_its_temperature():
    head = build_head(
        terms=dict(
            kd=dict(
                learner='trans',
                inputs='logits',
                gate='target_better',
                loss=dict(
                    type='PairKLDivLoss', temperature=4.0, t_squared=True)),
            kl=dict(
                learner='cnn', inputs='logits', gate='target_correct',
                loss=KL)))
    out = outputs(requires_grad=False, n=64)
    labels = torch.randint(
        0, 3, (64, ), generator=torch.Generator().manual_seed(2))
    losses = head.loss(out, labels)
    z_cnn, z_trans = out['cnn']['logits'], out['trans']['logits']
    rows = torch.arange(64)
    keep_kd = (z_cnn / 4).softmax(1)[rows, labels] >= (z_trans /
                                                       4).softmax(1)[rows,
                                                                     labels]
    torch.testing.assert_close(
        losses['loss_kd'].double(),
        16 * (kl(z_cnn, z_trans, 4.0) * keep_kd).sum() / 64)
    keep_kl = z_trans.argmax(1) == labels
    torch.testing.assert_close(losses['loss_kl'].double(),
                               (kl(z_trans, z_cnn) * keep_kl).sum() / 64)
    assert head.log_keys() == [
        'loss_cl', 'loss_kl', 'kl_keep', 'loss_kd', 'kd_keep'
    ]


def test_hard_label_term_is_cross_entropy_to_the_partner_top1():
    head = build_head(
        terms=dict(
            kd=dict(
                learner='trans',
                inputs='logits',
                loss=dict(type='PairHardLabelLoss'))))
    out = outputs()
    loss = head.loss(out)['loss_kd']
    torch.testing.assert_close(
        loss,
        F.cross_entropy(out['trans']['logits'],
                        out['cnn']['logits'].argmax(1)))


def test_mlp_connector_per_branch():
    head = build_head(
        terms=dict(
            cl=dict(
                learner='trans',
                inputs='embed',
                connector=dict(out_channels=16, hidden_channels=8),
                loss=dict(type='PairContrastiveLoss', normalize=True))))
    proj = head.terms['cl'].proj
    assert [
        tuple(proj[s][i].weight.shape) for s in ('cnn', 'trans')
        for i in (0, 2)
    ] == [(8, 64), (16, 8), (8, 32), (16, 8)]
    out = outputs()
    loss = head.loss(out)['loss_cl']
    h = {k: out[k]['embed'] for k in out}
    torch.testing.assert_close(
        loss,
        PairContrastiveLoss(normalize=True)(proj['cnn'](h['cnn']),
                                            proj['trans'](h['trans'])))
    loss.backward()  # the CNN's MLP learns, the CNN does not
    assert h['cnn'].grad is None
    assert proj['cnn'][0].weight.grad.abs().sum() > 0


def test_layer_term_reads_the_recorded_maps_and_teaches_the_learner():
    head = build_head(
        terms=dict(
            feat=dict(
                learner='trans',
                inputs=LAYERS,
                loss=dict(type='PairFeatureLoss'))))
    loss_fn = head.terms['feat'].loss
    # channels from one dry forward: ResNet layer2 (16), ViT tokens (32)
    assert [tuple(p.weight.shape[:2]) for p in loss_fn.projs] == [(16, 32)]
    out = outputs()
    cnn_map = torch.randn(5, 16, 4, 4, requires_grad=True)
    tokens = torch.randn(5, 1 + 16, 32, requires_grad=True)  # class token
    out['cnn']['layers'], out['trans']['layers'] = [cnn_map], [tokens]
    loss = head.loss(out)['loss_feat']
    trans_map = tokens[:, 1:].transpose(1, 2).reshape(5, 32, 4, 4)
    torch.testing.assert_close(loss, loss_fn([cnn_map], [trans_map]))
    loss.backward()
    assert cnn_map.grad is None and tokens.grad.abs().sum() > 0


def test_terms_merge_into_the_paper_table():
    head = build_head(
        terms=dict(
            cl=dict(loss=dict(temperature=0.5)),
            kd=dict(learner='trans', inputs='logits', loss=KL)))
    assert list(head.terms) == ['cl', 'kl', 'kd']  # new names after
    cl = head.terms['cl']
    assert (cl.learner, cl.stage, cl.loss.temperature) == ('trans', 'cl', 0.5)
    # _delete_ replaces a term whole, as in MMEngine's configs
    head = build_head(
        terms=dict(
            cl=dict(
                _delete_=True,
                learner='cnn',
                inputs='embed',
                loss=dict(type='PairContrastiveLoss'))))
    assert (head.terms['cl'].learner, head.terms['cl'].stage) == ('cnn', None)


def test_a_term_set_to_none_is_left_out():
    head = build_head(
        terms=dict(cl=dict(learner='trans', inputs='embed', loss=CL), kl=None))
    assert list(head.terms) == ['cl']
    assert list(head.loss(outputs())) == ['loss_cl']


def test_scheduled_weight_is_applied_and_logged():
    head = build_head(
        terms=dict(
            kl=dict(
                learner='cnn',
                inputs='logits',
                loss=KL,
                schedule=dict(type='LinearDecayWeight'))))
    set_training_progress(25, 100)
    out = outputs()
    losses = head.loss(out)
    assert losses['kl_weight'].item() == 0.75
    torch.testing.assert_close(
        losses['loss_kl'].double(),
        0.75 * kl(out['trans']['logits'], out['cnn']['logits']).mean())
    assert head.terms['kl'].log_keys() == ['loss_kl', 'kl_weight']


def test_min_batch_names_the_term_that_needs_it():
    assert build_head().min_batch() == (2, 'cl')
    assert build_head(terms=dict(cl=None)).min_batch() == (1, None)


def test_old_head_keys_are_upgraded():
    state = {
        'pair_head.proj.weight': 1,
        'pair_head.cl_proj.cnn.0.bias': 2,
        'pair_head.feat_loss.projs.0.weight': 3,
        'cnn.backbone.proj.weight': 4,
        'pair_head.terms.kl.x': 5
    }
    MODELS.get('PairLearningHead').upgrade_keys(state, 'pair_head.')
    assert state == {
        'pair_head.terms.cl.proj.weight': 1,
        'pair_head.terms.cl.proj.cnn.0.bias': 2,
        'pair_head.terms.feat.loss.projs.0.weight': 3,
        'cnn.backbone.proj.weight': 4,
        'pair_head.terms.kl.x': 5
    }


@pytest.mark.parametrize('term,match', [
    (dict(learner='both'), '`learner` must be one of'),
    (dict(source='friend'), '`source` must be one of'),
    (dict(gate='always'), '`gate` must be one of'),
    (dict(stage='warm'), '`stage` must be one of'),
    (dict(inputs='tokens'), '`inputs` must be one of'),
    (dict(inputs=dict(cnn=['a'], trans=[])), 'one transformer layer per'),
    (dict(inputs='embed', gate='target_better'), "needs inputs='logits'"),
    (dict(connector=dict(out_channels=8)), "needs inputs='embed'"),
    (dict(source='ema', bidirectional=True), 'only a live partner'),
    (dict(loss=dict(type='PairKLDivLoss', temperature=0)), 'temperature'),
])
def test_bad_terms_are_refused(term, match):
    cfg = dict(learner='cnn', inputs='logits', loss=KL)
    cfg.update(term)
    ema = dict(momentum=0.1) if cfg.get('source') == 'ema' else None
    with pytest.raises((ValueError, TypeError), match=match):
        MODELS.build(
            dict(type='PairLearningHead', terms=dict(new=cfg), ema=ema))


def test_changing_a_terms_inputs_kind_needs_delete():
    # MMEngine's merge rule: a dict does not merge into a string
    with pytest.raises(TypeError, match='_delete_=True'):
        build_head(terms=dict(kl=dict(inputs=LAYERS)))


def test_bad_names_and_sources_are_refused():
    with pytest.raises(ValueError, match="without 'loss'"):
        build_head(
            terms=dict(my_loss=dict(learner='cnn', inputs='logits', loss=KL)))
    with pytest.raises(ValueError, match='`teacher_checkpoint`'):
        build_head(terms=dict(cl=None, kl=dict(source='teacher')))
    with pytest.raises(ValueError, match='`ema`'):
        build_head(
            terms=dict(
                kl=dict(learner='cnn', inputs='logits', loss=KL,
                        source='ema')))
    with pytest.raises(ValueError, match='teaches the `trans` branch'):
        # eq. 6 from a frozen transformer, the contrastive term still to it
        build_head(
            teacher_checkpoint='x.pth', terms=dict(kl=dict(source='teacher')))
    with pytest.raises(ValueError, match='holds no term'):
        build_head(terms=dict(cl=None, kl=None))
    with pytest.raises(ValueError, match='has no module'):
        build_head(
            terms=dict(
                feat=dict(
                    learner='trans',
                    inputs=dict(
                        cnn=['backbone.layer9'], trans=['backbone.layers.0']),
                    loss=dict(type='PairFeatureLoss'))))
