import copy
import os.path as osp
import sys

import pytest
import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# Tiny stock MMPretrain branches: cheap enough for unit tests on 2 cores.
TINY_CNN = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, base_channels=8, stem_channels=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead', num_classes=10, in_channels=64, topk=(1, 5)))
TINY_TRANS = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=32, num_layers=2, num_heads=2,
            feedforward_channels=64),
        img_size=32,
        patch_size=8),
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=32,
        topk=(1, 5),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)))


@pytest.fixture
def tiny_cnn_cfg():
    return copy.deepcopy(TINY_CNN)


@pytest.fixture
def tiny_trans_cfg():
    return copy.deepcopy(TINY_TRANS)


@pytest.fixture
def pair_cfg():
    return dict(
        type='PairClassifier',
        cnn=copy.deepcopy(TINY_CNN),
        trans=copy.deepcopy(TINY_TRANS))


@pytest.fixture
def batch():
    """Eight random 32x32 images with labels."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(0)
    inputs = torch.randn(8, 3, 32, 32, generator=g)
    labels = torch.randint(0, 10, (8, ), generator=g)
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    return inputs, samples


@pytest.fixture(scope='session')
def digits_root(tmp_path_factory):
    """The real digits dataset, written once per test session."""
    sys.path.insert(0, osp.join(ROOT, 'tools', 'dataset_converters'))
    try:
        from prepare_digits import prepare_digits
    finally:
        sys.path.pop(0)
    out = tmp_path_factory.mktemp('data') / 'digits'
    prepare_digits(str(out))
    return out
