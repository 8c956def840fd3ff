import copy

import pytest
import torch
from mmpretrain.registry import MODELS

import vpl_mm  # noqa: F401
from vpl_mm.models import PairContrastiveLoss, PairKLDivLoss


def build_pair(cfg, **kwargs):
    cfg = dict(copy.deepcopy(cfg), **kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def test_branches_are_stock_classifiers(pair_cfg, tiny_cnn_cfg):
    from mmpretrain.models import ImageClassifier
    model = build_pair(pair_cfg)
    assert type(model.cnn) is ImageClassifier
    assert type(model.trans) is ImageClassifier
    # the CNN embedding (64) is projected to the transformer's (32)
    assert tuple(model.pair_head.terms['cl'].proj.weight.shape) == (32, 64)
    # a branch's state dict is the stock classifier's
    stock = MODELS.build(tiny_cnn_cfg)
    assert set(model.cnn.state_dict()) == set(stock.state_dict())


def test_tensor_mode_matches_stock_branches(pair_cfg, batch):
    model = build_pair(pair_cfg).eval()
    inputs, _ = batch
    out = model(inputs, mode='tensor')
    with torch.no_grad():
        torch.testing.assert_close(out['cnn'], model.cnn(inputs))
        torch.testing.assert_close(out['trans'], model.trans(inputs))
        # h is the input of the last linear layer: the head's pre_logits
        h, z = model.embed('trans', inputs)
        torch.testing.assert_close(
            h, model.trans.head.pre_logits(model.trans.extract_feat(inputs)))
        torch.testing.assert_close(z, out['trans'])


def test_loss_mode(pair_cfg, batch):
    torch.manual_seed(0)
    model = build_pair(pair_cfg).eval()  # eval: no dropout, same BN stats
    inputs, samples = batch
    losses = model(inputs, samples, mode='loss')
    assert set(losses) == {'loss_cnn', 'loss_trans', 'loss_cl', 'loss_kl'}
    # each branch's own loss is its stock head loss (eq. 1, 2)
    torch.testing.assert_close(losses['loss_cnn'],
                               model.cnn.loss(inputs, samples)['loss'])
    torch.testing.assert_close(losses['loss_trans'],
                               model.trans.loss(inputs, samples)['loss'])
    h_cnn, z_cnn = model.embed('cnn', inputs)
    h_trans, z_trans = model.embed('trans', inputs)
    torch.testing.assert_close(
        losses['loss_cl'],
        PairContrastiveLoss()(model.pair_head.terms['cl'].proj(h_cnn),
                              h_trans))
    torch.testing.assert_close(losses['loss_kl'],
                               PairKLDivLoss()(z_cnn, z_trans))

    model.pair_head.activate(['cl'])
    assert 'loss_kl' not in model(inputs, samples, mode='loss')


def test_head_extra_outputs_get_branch_suffix(pair_cfg, batch):
    pair_cfg['cnn']['head']['cal_acc'] = True
    model = build_pair(pair_cfg)
    losses = model(*batch, mode='loss')
    assert 'accuracy_top-1_cnn' in losses and 'loss_cnn' in losses


def grads(module):
    return [p.grad for p in module.parameters() if p.requires_grad]


def is_zero(grad):
    return grad is None or grad.abs().max() == 0


@pytest.mark.parametrize('restrict_grad', [True, False])
def test_gradient_flow(pair_cfg, batch, restrict_grad):
    paper = MODELS.get('PairLearningHead').PAPER_TERMS
    terms = {
        name: dict(term, bidirectional=not restrict_grad)
        for name, term in paper.items()
    }
    model = build_pair(pair_cfg, pair_head=dict(terms=terms))
    inputs, samples = batch

    model.zero_grad()
    model(inputs, samples, mode='loss')['loss_cl'].backward()
    trans_grads = grads(model.trans.backbone)
    assert any(not is_zero(g) for g in trans_grads)
    assert not is_zero(model.pair_head.terms['cl'].proj.weight.grad)
    cnn_zero = all(is_zero(g) for g in grads(model.cnn))
    assert cnn_zero == restrict_grad

    model.zero_grad()
    model(inputs, samples, mode='loss')['loss_kl'].backward()
    assert any(not is_zero(g) for g in grads(model.cnn))
    trans_zero = all(is_zero(g) for g in grads(model.trans))
    assert trans_zero == restrict_grad


@pytest.mark.parametrize('pred_branch', ['cnn', 'trans'])
def test_predict_mode(pair_cfg, batch, pred_branch):
    model = build_pair(pair_cfg, pred_branch=pred_branch).eval()
    inputs, samples = batch
    labels = [int(s.gt_label) for s in samples]
    with torch.no_grad():
        out = model(inputs, copy.deepcopy(samples), mode='predict')
        stock = {
            name: getattr(model, name).predict(inputs)
            for name in ('cnn', 'trans')
        }
    assert len(out) == len(samples)
    for i, sample in enumerate(out):
        for name in ('cnn', 'trans'):
            torch.testing.assert_close(
                sample.get(name).pred_score, stock[name][i].pred_score)
            assert int(sample.get(name).gt_label) == labels[i]
        torch.testing.assert_close(sample.pred_score,
                                   stock[pred_branch][i].pred_score)
        assert int(sample.gt_label) == labels[i]
    # without data samples too
    assert len(model(inputs, mode='predict')) == len(samples)


def test_data_preprocessor_default(pair_cfg):
    from mmpretrain.models import ClsDataPreprocessor
    assert isinstance(
        build_pair(pair_cfg).data_preprocessor, ClsDataPreprocessor)


@pytest.mark.parametrize('missing', ['cnn', 'trans'])
def test_missing_branch(pair_cfg, missing):
    pair_cfg.pop(missing)
    with pytest.raises(ValueError, match=f'`{missing}` is missing'):
        MODELS.build(pair_cfg)


def test_unknown_pred_branch(pair_cfg):
    with pytest.raises(ValueError, match='pred_branch'):
        MODELS.build(dict(pair_cfg, pred_branch='vit'))


def test_different_class_counts(pair_cfg):
    pair_cfg['trans']['head']['num_classes'] = 7
    with pytest.raises(ValueError, match='cnn 10, trans 7'):
        MODELS.build(pair_cfg)


def test_head_without_linear_layer(pair_cfg):
    pair_cfg['cnn']['head'] = dict(type='ClsHead')
    with pytest.raises(TypeError, match='must end in a linear layer'):
        MODELS.build(pair_cfg)


@pytest.mark.parametrize('bad', [float('nan'), float('inf')])
def test_non_finite_loss_names_term_and_iteration(pair_cfg, batch, bad,
                                                  monkeypatch):
    from mmengine.logging import MessageHub
    logged = []
    monkeypatch.setattr(
        'vpl_mm.models.classifiers.two_branch_classifier.print_log',
        lambda msg, **kwargs: logged.append(msg))
    model = build_pair(pair_cfg)
    losses = model(*batch, mode='loss')
    losses['loss_cl'] = losses['loss_cl'] * bad
    MessageHub.get_current_instance().update_info('iter', 41)
    total, _ = model.parse_losses(losses)
    # named in a warning; the optim wrapper decides (NonFiniteOptimWrapper)
    assert not torch.isfinite(total)
    assert 'non-finite loss_cl at iteration 42' in logged[0]
    # finite losses parse as MMEngine does
    total, log_vars = model.parse_losses(model(*batch, mode='loss'))
    assert set(log_vars) >= {
        'loss', 'loss_cnn', 'loss_trans', 'loss_cl', 'loss_kl'
    }


def test_batch_of_one(pair_cfg, batch):
    # the contrastive loss is defined (0) for N = 1; eval mode because
    # BatchNorm cannot train on one value per channel
    model = build_pair(pair_cfg).eval()
    inputs, samples = batch
    losses = model(inputs[:1], samples[:1], mode='loss')
    assert losses['loss_cl'].item() == 0.
    assert all(torch.isfinite(v) for v in losses.values())


@pytest.mark.parametrize('model_type', ['PairClassifier', 'DMLClassifier'])
def test_head_in_channels_checked_at_build(model_type):
    """The demo's ViT made 72 wide with its head left at 96: a named error
    at build time, not torch's matmul error at the first iteration."""
    import os.path as osp

    from mmengine.config import Config
    root = osp.dirname(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    branches = Config.fromfile(
        osp.join(root, 'configs/demo/_base_/models/tiny_branches.py'))
    cnn, trans = branches.cnn.to_dict(), branches.trans.to_dict()
    trans['backbone']['arch']['embed_dims'] = 72  # 3 heads of 24
    with pytest.raises(
            ValueError,
            match=r'trans\.head\.in_channels=96, but the trans '
            r'backbone gives 72 channels'):
        MODELS.build(dict(type=model_type, cnn=cnn, trans=trans))
    cnn['head']['in_channels'] = 512  # the ResNet-18 layout gives 128
    with pytest.raises(
            ValueError,
            match=r'cnn\.head\.in_channels=512, but '
            r'the cnn backbone \+ neck gives 128'):
        MODELS.build(
            dict(type=model_type, cnn=cnn, trans=branches.trans.to_dict()))


def feat_head(layers=None):
    """The paper's table plus feature guidance at two layer pairs."""
    terms = dict(MODELS.get('PairLearningHead').PAPER_TERMS)
    terms['feat'] = dict(
        learner='trans',
        stage='cl',
        inputs=layers or dict(
            cnn=['backbone.layer2', 'backbone.layer3'],
            trans=['backbone.layers.0', 'backbone.layers.1']),
        loss=dict(type='PairFeatureLoss'))
    return dict(terms=terms)


def test_feature_guidance_takes_the_named_layers(pair_cfg, batch):
    model = build_pair(pair_cfg, pair_head=feat_head()).eval()
    inputs, samples = batch
    # channels read by the dry forward: ResNet layer2/3 (16, 32), ViT 32
    assert [(p.in_channels, p.out_channels)
            for p in model.pair_head.terms['feat'].loss.projs] == [(32, 16),
                                                                   (32, 32)]
    losses = model(inputs, samples, mode='loss')
    # the reference maps: the stock backbones' own multi-scale outputs of
    # the same weights (ResNet out_indices; ViT patch tokens as 'featmap',
    # no final norm before the last layer)
    cnn_cfg = copy.deepcopy(pair_cfg['cnn']['backbone'])
    cnn_ref = MODELS.build(dict(cnn_cfg, out_indices=(1, 2)))
    cnn_ref.eval()  # MMPretrain's backbones' train() returns None
    cnn_ref.load_state_dict(model.cnn.backbone.state_dict())
    trans_cfg = copy.deepcopy(pair_cfg['trans']['backbone'])
    trans_ref = MODELS.build(
        dict(trans_cfg, out_indices=(0, ), out_type='featmap'))
    trans_ref.eval()
    trans_ref.load_state_dict(model.trans.backbone.state_dict())
    with torch.no_grad():
        cnn_maps = list(cnn_ref(inputs))
        trans_maps = [trans_ref(inputs)[0]]
    with torch.no_grad():  # the last ViT layer, before the final norm
        x = model.trans.backbone.patch_embed(inputs)[0]
        x = torch.cat([model.trans.backbone.cls_token.expand(8, -1, -1), x],
                      1) + model.trans.backbone.pos_embed
        for layer in model.trans.backbone.layers:
            x = layer(x)
        side = 4
        trans_maps.append(x[:, 1:].transpose(1, 2).reshape(8, 32, side, side))
    torch.testing.assert_close(
        losses['loss_feat'],
        model.pair_head.terms['feat'].loss(cnn_maps, trans_maps))


def test_feature_guidance_gradient_reaches_only_the_transformer(
        pair_cfg, batch):
    model = build_pair(pair_cfg, pair_head=feat_head())
    inputs, samples = batch
    model(inputs, samples, mode='loss')['loss_feat'].backward()
    cnn_grads = [p.grad for p in model.cnn.parameters()]
    assert all(g is None or not g.any() for g in cnn_grads)
    assert model.trans.backbone.layers[0].ffn.layers[1].weight.grad.abs().sum(
    ) > 0
    assert all(p.grad.abs().sum() > 0
               for p in model.pair_head.terms['feat'].loss.parameters())


def test_feature_guidance_is_off_with_its_stage(pair_cfg, batch):
    model = build_pair(pair_cfg, pair_head=feat_head())
    model.pair_head.activate(['kl'])
    inputs, samples = batch
    assert 'loss_feat' not in model(inputs, samples, mode='loss')


@pytest.mark.parametrize('layers,match', [
    (dict(cnn=['backbone.layer9'], trans=['backbone.layers.0']),
     "branch `cnn` has no module 'backbone.layer9'"),
    (dict(cnn=['backbone.layer2'], trans=[]), 'one transformer layer per'),
])
def test_feature_guidance_rejects_bad_layers(pair_cfg, layers, match):
    with pytest.raises(ValueError, match=match):
        build_pair(pair_cfg, pair_head=feat_head(layers))


@pytest.mark.parametrize('stage', ['backbone', 'neck', 'pre_logits'])
def test_extract_feat_has_mmpretrains_signature(pair_cfg, batch, stage):
    # what get_flops.py and mmpretrain.apis.FeatureExtractor call
    model = build_pair(pair_cfg).eval()
    inputs, _ = batch
    with torch.no_grad():
        for name in ('cnn', 'trans'):
            expected = getattr(model, name).extract_feat(inputs, stage=stage)
            got = model.extract_feat(inputs, stage=stage, branch=name)
            torch.testing.assert_close(got, expected)
        # without `branch`: pred_branch's
        torch.testing.assert_close(
            model.extract_feat(inputs, stage=stage),
            model.trans.extract_feat(inputs, stage=stage))
        model.pred_branch = 'cnn'
        torch.testing.assert_close(
            model.extract_feat(inputs, stage=stage),
            model.cnn.extract_feat(inputs, stage=stage))
    with pytest.raises(ValueError, match='`branch` must be one of'):
        model.extract_feat(inputs, branch='vit')


def test_feature_extractor_api_on_a_pair():
    import os.path as osp

    import numpy as np
    from mmpretrain import get_model
    from mmpretrain.apis import FeatureExtractor
    root = osp.dirname(
        osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))
    model = get_model(osp.join(root, 'configs/demo/vpl_tiny_digits.py'))
    image = np.random.default_rng(0).integers(0, 256, (32, 32, 3), np.uint8)
    (feat, ) = FeatureExtractor(model)(image)[0]
    assert feat.shape == (96, )  # the transformer's class token
    model.pred_branch = 'cnn'
    (feat, ) = FeatureExtractor(model)(image)[0]
    assert feat.shape == (128, )  # the CNN's pooled stage 4


def test_layer_terms_and_compile_are_refused_together(pair_cfg):
    with pytest.raises(ValueError, match='record layers with forward hooks'):
        build_pair(pair_cfg, pair_head=feat_head(), compile=True)
