"""DistTokenClsHead: DeiT's distillation token, taught by the PLM's terms."""
import copy

import pytest
import torch
import torch.nn.functional as F
from mmpretrain.models.heads import DeiTClsHead
from mmpretrain.registry import MODELS
from tiny_models import TINY_DEIT

import vpl_mm  # noqa: F401
from vpl_mm.models import DistTokenClsHead
from vpl_mm.models.utils.branches import logits_layer

KL = dict(type='PairKLDivLoss', temperature=1.0)


def deit_pair(pair_cfg, **terms):
    """A pair whose transformer has a distillation token, ``terms`` merged
    into the paper's table."""
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            pair_cfg,
            trans=copy.deepcopy(TINY_DEIT),
            pair_head=dict(terms=terms)))
    model.init_weights()
    return model


@pytest.mark.parametrize('hidden_dim', [None, 6])
def test_same_weights_and_inference_as_the_stock_head(hidden_dim):
    torch.manual_seed(0)
    ours = DistTokenClsHead(
        num_classes=5, in_channels=8, hidden_dim=hidden_dim)
    stock = DeiTClsHead(num_classes=5, in_channels=8, hidden_dim=hidden_dim)
    assert set(ours.state_dict()) == set(stock.state_dict())
    for p in ours.parameters():
        torch.nn.init.normal_(p)
    stock.load_state_dict(ours.state_dict(), strict=True)
    feats = [(torch.randn(4, 8), torch.randn(4, 8))]
    ours.eval(), stock.eval()
    torch.testing.assert_close(ours(feats), stock(feats))
    cls_token, dist_token = stock.pre_logits(feats)
    torch.testing.assert_close(ours.pre_logits(feats), cls_token)
    h, z = ours.dist_embed_and_logits(feats)
    torch.testing.assert_close(h, dist_token)
    w, b = ours.layers.head_dist.weight, ours.layers.head_dist.bias
    torch.testing.assert_close(z, dist_token @ w.T + b)


def test_the_pair_reads_the_class_tokens_layer_as_logits_layer():
    branch = MODELS.build(copy.deepcopy(TINY_DEIT))
    assert logits_layer('test', 'trans', branch) == 'head.layers.head'


def test_terms_teach_the_distillation_token_and_ce_the_class_token(
        pair_cfg, batch):
    model = deit_pair(
        pair_cfg,
        cl=None,
        kl=dict(learner='trans', stage=None, dist_token=True))
    inputs, samples = batch
    labels = torch.tensor([s.gt_label.item() for s in samples])
    losses, _ = model.pair_losses(inputs, samples)
    # independent reference: the backbone's two tokens, by hand
    cls_token, dist_token = model.trans.backbone(inputs)[-1]
    head = model.trans.head.layers
    z_cls, z_dist = head.head(cls_token), head.head_dist(dist_token)
    z_cnn = model.cnn(inputs)
    torch.testing.assert_close(losses['loss_trans'],
                               F.cross_entropy(z_cls, labels))
    p = z_cnn.softmax(1)
    torch.testing.assert_close(
        losses['loss_kl'],
        (p * (p.log() - z_dist.log_softmax(1))).sum(1).mean())
    # the KL reaches the distillation token's layer, not the class token's
    # and not the CNN; the cross-entropy the class token's layer only
    grads = torch.autograd.grad(
        losses['loss_kl'],
        [head.head.weight, head.head_dist.weight, model.cnn.head.fc.weight],
        allow_unused=True)
    assert grads[0] is None and grads[2] is None
    assert grads[1].abs().sum() > 0
    grads = torch.autograd.grad(
        losses['loss_trans'], [head.head.weight, head.head_dist.weight],
        allow_unused=True)
    assert grads[0].abs().sum() > 0 and grads[1] is None


def test_contrastive_term_reads_the_distillation_tokens_embedding(
        pair_cfg, batch):
    model = deit_pair(pair_cfg, cl=dict(dist_token=True), kl=None)
    inputs, samples = batch
    _, outputs = model.pair_losses(inputs, samples)
    _, dist_token = model.trans.backbone(inputs)[-1]
    torch.testing.assert_close(outputs['trans']['dist_embed'], dist_token)
    term = model.pair_head.terms['cl']
    ref = term.loss(
        *term.connect(outputs['cnn']['embed'].detach(), dist_token).values())
    torch.testing.assert_close(model.pair_head.loss(outputs)['loss_cl'], ref)


def test_token_layer_stays_in_graph_while_its_logits_term_is_off(
        pair_cfg, batch):
    # eq. 7's first stage: the contrastive term reads the distillation
    # token's embedding; the KL on its logits is off
    model = deit_pair(
        pair_cfg,
        cl=dict(dist_token=True),
        kl=dict(learner='trans', dist_token=True, stage='kl'))
    model.pair_head.activate(['cl'])
    losses, _ = model.pair_losses(*batch)
    assert 'loss_cl' in losses and 'loss_kl' not in losses
    sum(v for k, v in losses.items() if k.startswith('loss_')).backward()
    grad = model.trans.head.layers.head_dist.weight.grad
    assert grad is not None and not grad.any()


def test_tensor_and_predict_modes_average_both_tokens(pair_cfg, batch):
    model = deit_pair(
        pair_cfg, kl=dict(learner='trans', dist_token=True)).eval()
    inputs, samples = batch
    with torch.no_grad():
        expected = model.trans(inputs)  # the stock classifier's tensor mode
        cls_token, dist_token = model.trans.backbone(inputs)[-1]
        head = model.trans.head.layers
        torch.testing.assert_close(
            expected, (head.head(cls_token) + head.head_dist(dist_token)) / 2)
        torch.testing.assert_close(
            model(inputs, mode='tensor')['trans'], expected)
        pred = model(inputs, copy.deepcopy(samples), mode='predict')
    torch.testing.assert_close(
        torch.stack([s.trans.pred_score for s in pred]), expected.softmax(1))


def test_a_token_no_term_teaches_is_refused(pair_cfg):
    with pytest.raises(ValueError, match='no term teaches it'):
        deit_pair(pair_cfg)


def test_a_term_on_a_head_without_token_is_refused(pair_cfg):
    with pytest.raises(ValueError, match='has no distillation token'):
        MODELS.build(
            dict(
                pair_cfg,
                pair_head=dict(
                    terms=dict(kl=dict(learner='trans', dist_token=True)))))


def test_layer_inputs_have_no_token():
    with pytest.raises(ValueError, match='needs `inputs` one of'):
        MODELS.build(
            dict(
                type='PairLearningHead',
                terms=dict(
                    feat=dict(
                        learner='trans',
                        inputs=dict(
                            cnn=['backbone.layer1'],
                            trans=['backbone.layers.0']),
                        loss=dict(type='PairFeatureLoss'),
                        dist_token=True))))
