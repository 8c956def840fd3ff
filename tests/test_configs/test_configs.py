"""Every config parses and builds; the paper's recipe is what the headline
config really sets up; one train and one val step run on CPU."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from tiny_models import teacher_branch, with_teacher

import vpl_mm  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = sorted(
    p for p in glob.glob(
        osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p and f'{osp.sep}deploy{osp.sep}' not in p)
HEADLINE = osp.join(ROOT, 'configs/vpl_r50_vitb_in1k.py')
DIGITS_CLASSES = 10  # the one-step tests train on the digits
MMPRETRAIN_MODELS = osp.join(
    osp.dirname(__import__('mmpretrain').__file__), '.mim', 'configs',
    '_base_', 'models')


def build(cfg_model):
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return MODELS.build(copy.deepcopy(cfg_model))


def test_configs_found():
    names = {osp.relpath(p, ROOT) for p in CONFIGS}
    assert {
        'configs/vpl_r50_vitb_in1k.py',
        'configs/vpl_r50-vitb_16xb100_in1k-100e.py',
        'configs/baselines/solo_r50_16xb100_in1k.py',
        'configs/baselines/solo_vitb_16xb100_in1k-100e.py',
        'configs/demo/vpl_tiny_digits.py'
    } <= names


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, ROOT) for p in CONFIGS])
def test_config_parses_and_builds(path):
    cfg = Config.fromfile(path)
    model = build(cfg.model)
    assert sum(p.numel() for p in model.parameters()) > 0
    for name in ('train_dataloader', 'val_dataloader', 'val_evaluator',
                 'optim_wrapper', 'param_scheduler', 'train_cfg'):
        assert name in cfg, name


def test_pair_branches_are_the_stock_models():
    cfg = Config.fromfile(HEADLINE)
    for branch, stock in (('cnn', 'resnet50.py'), ('trans',
                                                   'vit-base-p16.py')):
        expected = Config.fromfile(osp.join(MMPRETRAIN_MODELS,
                                            stock)).model.to_dict()
        got = cfg.model[branch].to_dict()
        expected['head'].setdefault('topk', (1, 5))
        assert got == expected


def test_headline_recipe():
    cfg = Config.fromfile(HEADLINE)
    from mmengine.optim import build_optim_wrapper
    model = build(cfg.model)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        optim = build_optim_wrapper(model, cfg.optim_wrapper)
    group_of = {}
    for group in optim.optimizer.param_groups:
        for p in group['params']:
            group_of[id(p)] = group
    params = dict(model.named_parameters())

    def group(name):
        return group_of[id(params[name])]

    assert type(optim.optimizer).__name__ == 'AdamW'
    for name in ('cnn.backbone.conv1.weight', 'cnn.head.fc.weight'):
        assert group(name)['lr'] == pytest.approx(0.005)
        assert group(name)['weight_decay'] == pytest.approx(0.05)
    for name in ('trans.backbone.layers.0.ffn.layers.0.0.weight',
                 'trans.head.layers.head.weight',
                 'pair_head.terms.cl.proj.weight'):
        assert group(name)['lr'] == pytest.approx(0.002)
        assert group(name)['weight_decay'] == pytest.approx(0.05)
    for name in ('trans.backbone.pos_embed', 'trans.backbone.cls_token'):
        assert group(name)['weight_decay'] == 0
    assert tuple(model.pair_head.terms['cl'].proj.weight.shape) == (768, 2048)

    stage = [h for h in cfg.custom_hooks if h.type == 'StageSwitchHook']
    assert [(h.x, h.y) for h in stage] == [(20, 20)]
    ema = [h for h in cfg.custom_hooks if h.type == 'SafeEMAHook']
    assert ema and ema[0].ema_type == 'WarmupEMA'
    assert cfg.train_dataloader.batch_size * 16 == 1600
    assert cfg.auto_scale_lr.base_batch_size == 1600
    assert cfg.train_cfg.max_epochs == 300
    names = [t.type for t in cfg.train_dataloader.dataset.pipeline]
    assert 'AutoAugment' in names and 'RandomErasing' in names
    assert cfg.val_evaluator.type == 'PairMetric'
    assert [s.type
            for s in cfg.param_scheduler] == ['LinearLR', 'CosineAnnealingLR']


@pytest.mark.parametrize('name,epochs', [
    ('vpl_r50-vitb_16xb100_in1k-100e.py', 100),
    ('baselines/solo_r50_16xb100_in1k-100e.py', 100),
    ('baselines/solo_vitb_16xb100_in1k.py', 300),
])
def test_variants(name, epochs):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    assert cfg.train_cfg.max_epochs == epochs
    # the cosine phase runs to max_epochs
    assert 'end' not in cfg.param_scheduler[1]


def test_solo_learning_rates():
    r50 = Config.fromfile(
        osp.join(ROOT, 'configs/baselines/solo_r50_16xb100_in1k.py'))
    vit = Config.fromfile(
        osp.join(ROOT, 'configs/baselines/solo_vitb_16xb100_in1k.py'))
    assert r50.optim_wrapper.optimizer.lr == 0.005
    assert vit.optim_wrapper.optimizer.lr == 0.002
    assert r50.optim_wrapper.optimizer.weight_decay == 0.05


def test_headline_trains_and_validates_one_step(digits_root, tmp_path):
    """ResNet-50 + ViT-B/16 at 224x224, batch 2, on CPU: one training
    iteration (EMA on) and one validation pass."""
    from mmengine.runner import Runner
    cfg = Config.fromfile(HEADLINE)
    cfg.work_dir = str(tmp_path)
    for name, prefix in (('train_dataloader', 'train'), ('val_dataloader',
                                                         'val')):
        loader = cfg[name]
        loader.dataset = dict(
            type='CustomDataset',
            data_root=str(digits_root),
            data_prefix=prefix,
            indices=2,
            pipeline=loader.dataset.pipeline)
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    for branch in ('cnn', 'trans'):  # DataFitHook: the heads fit the data
        cfg.model[branch].head.num_classes = DIGITS_CLASSES
    cfg.test_dataloader = cfg.val_dataloader
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = cfg.param_scheduler[:1]  # cosine starts at 5
    cfg.default_hooks.checkpoint = None
    cfg.default_hooks.logger.interval = 1
    runner = Runner.from_cfg(cfg)
    before = copy.deepcopy(runner.model.state_dict())
    runner.train()
    after = runner.model.state_dict()
    assert not torch.equal(before['cnn.head.fc.weight'],
                           after['cnn.head.fc.weight'])
    assert not torch.equal(before['trans.head.layers.head.bias'],
                           after['trans.head.layers.head.bias'])
    scalars = runner.message_hub.log_scalars
    assert 'val/cnn/accuracy/top1' in scalars
    assert 'val/trans/accuracy/top5' in scalars
    # epoch 1 of 1 with x = y = 20: the middle stage, both terms
    assert 'train/loss_cl' in scalars and 'train/loss_kl' in scalars


def hook(cfg, type_):
    return next(h for h in cfg.custom_hooks if h.type == type_)


@pytest.mark.parametrize('name,check', [
    ('ablations/vpl_r50-vitb_16xb100_in1k_bi.py',
     lambda c: all(t.bidirectional for t in c.model.pair_head.terms.values())),
    ('ablations/vpl_r50-vitb_16xb100_in1k_x0y0.py', lambda c:
     (hook(c, 'StageSwitchHook').x, hook(c, 'StageSwitchHook').y) == (0, 0)),
    ('ablations/vpl_r50-vitb_16xb100_in1k_x40y40.py', lambda c:
     (hook(c, 'StageSwitchHook').x, hook(c, 'StageSwitchHook').y) == (40, 40)),
    ('ablations/vpl_vits-vitb_16xb100_in1k.py',
     lambda c: c.model.cnn.backbone.arch == 'deit-small'),
    ('ablations/vpl_regnety-16gf-vitb_16xb100_in1k.py',
     lambda c: c.model.cnn.backbone.model_name == 'regnety_160'),
    ('distill/dis_vitb-to-r50_16xb100_in1k.py',
     lambda c: teacher_branch(c) == 'trans' and c.model.pred_branch == 'cnn'),
    ('distill/dis_r50-to-vitb_16xb100_in1k.py',
     lambda c: teacher_branch(c) == 'cnn'),
])
def test_experiment_settings(name, check):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    assert check(cfg)
    # everything else is the headline recipe
    assert cfg.optim_wrapper.optimizer.lr == 2e-3
    assert cfg.train_cfg.max_epochs == 300


@pytest.mark.parametrize('name,dataset,classes', [
    ('vpl_r50-vitb_ft_cifar10.py', 'CIFAR10', 10),
    ('vpl_r50-vitb_ft_cifar100.py', 'CIFAR100', 100),
    ('vpl_r50-vitb_ft_flowers102.py', 'Flowers102', 102),
    ('vpl_r50-vitb_ft_stanfordcars.py', 'StanfordCars', 196),
])
def test_transfer_settings(name, dataset, classes):
    cfg = Config.fromfile(osp.join(ROOT, 'configs/transfer', name))
    assert cfg.train_dataloader.dataset.type == dataset
    assert cfg.model.cnn.head.num_classes == classes
    assert cfg.model.trans.head.num_classes == classes
    assert cfg.data_preprocessor.num_classes == classes
    # the paper's fine-tuning LRs and weight decay
    assert cfg.optim_wrapper.optimizer.lr == 1e-4
    assert cfg.optim_wrapper.paramwise_cfg.custom_keys['cnn.'].lr_mult * \
        cfg.optim_wrapper.optimizer.lr == pytest.approx(5e-4)
    assert cfg.optim_wrapper.optimizer.weight_decay == 1e-8
    assert cfg.load_from.endswith('.pth')


def test_cifar_pipelines_give_224_inputs():
    import numpy as np
    from mmcv.transforms import Compose
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/transfer/vpl_r50-vitb_ft_cifar10.py'))
    from mmpretrain.registry import TRANSFORMS
    for loader in ('train_dataloader', 'val_dataloader'):
        with DefaultScope.overwrite_default_scope('mmpretrain'):
            pipeline = Compose(
                [TRANSFORMS.build(t) for t in cfg[loader].dataset.pipeline])
        img = np.random.RandomState(0).randint(
            0, 256, (32, 32, 3), dtype=np.uint8)
        out = pipeline(dict(img=img, gt_label=3))
        assert tuple(out['inputs'].shape) == (3, 224, 224)


# the Fashion-MNIST trees train one step with their real branches in
# test_fashion_mnist_configs.py
TRAINABLE = [
    p for p in CONFIGS if f'{osp.sep}deploy{osp.sep}' not in p
    and not osp.relpath(p, ROOT).startswith('configs/fashion_mnist')
]


def shrink(cfg, digits_root, tmp_path):
    """The config with tiny branches and two digits images: everything else
    (model type, PLM, hooks, optimizer, schedulers, evaluators) as is."""
    from tiny_models import TINY_CNN, TINY_TRANS
    classes = DIGITS_CLASSES  # DataFitHook: the heads fit the data

    def tiny(branch):
        branch = copy.deepcopy(branch)
        branch['head']['num_classes'] = classes
        return branch

    if 'cnn' in cfg.model:
        cfg.model.cnn = tiny(TINY_CNN)
        cfg.model.trans = tiny(TINY_TRANS)
        # layer terms: the tiny ViT has 2 blocks, deeper ones map to its last
        for term in cfg.model.get('pair_head', {}).get('terms', {}).values():
            if term and isinstance(term.get('inputs'), dict):
                term.inputs.trans = [
                    'backbone.layers.' + str(min(int(name.split('.')[-1]), 1))
                    for name in term.inputs.trans
                ]
        with_teacher(cfg, tmp_path)
    else:
        vit = cfg.model.backbone.type == 'VisionTransformer'
        cfg.model = tiny(TINY_TRANS if vit else TINY_CNN)
    for name, prefix in (('train_dataloader', 'train'), ('val_dataloader',
                                                         'val')):
        loader = cfg[name]
        pipeline = loader.dataset.pipeline
        if pipeline[0].type != 'LoadImageFromFile':  # CIFAR hands arrays
            pipeline = [dict(type='LoadImageFromFile')] + list(pipeline)
        loader.dataset = dict(
            type='CustomDataset',
            data_root=str(digits_root),
            data_prefix=prefix,
            indices=2,
            pipeline=pipeline)
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
    cfg.test_dataloader = cfg.val_dataloader
    cfg.test_evaluator = cfg.val_evaluator
    cfg.load_from = None
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = cfg.param_scheduler[:1]
    cfg.default_hooks.checkpoint = None
    cfg.pop('model_wrapper_cfg', None)
    return cfg


@pytest.mark.parametrize(
    'path', TRAINABLE, ids=[osp.relpath(p, ROOT) for p in TRAINABLE])
def test_config_trains_and_validates_one_step(path, digits_root, tmp_path):
    from mmengine.runner import Runner
    runner = Runner.from_cfg(
        shrink(Config.fromfile(path), digits_root, tmp_path))
    runner.train()
    scalars = runner.message_hub.log_scalars
    assert 'train/loss' in scalars
    assert any(k.startswith('val/') and 'accuracy/top1' in k
               for k in scalars), list(scalars)
