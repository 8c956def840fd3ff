"""Tiny stock MMPretrain branches for the tests."""

# cheap enough for unit tests on 2 cores
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
            embed_dims=32, num_layers=2, num_heads=2, feedforward_channels=64),
        img_size=32,
        patch_size=8),
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=32,
        topk=(1, 5),
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)))

# TINY_TRANS with DeiT's distillation token (its own linear layer)
TINY_DEIT = dict(
    TINY_TRANS,
    backbone=dict(TINY_TRANS['backbone'], type='DistilledVisionTransformer'),
    head=dict(TINY_TRANS['head'], type='DistTokenClsHead'))


def teacher_branch(cfg):
    """The branch a pair config's PLM terms read as a frozen teacher
    (``source='teacher'``), or None."""
    from vpl_mm.models import PairLearningHead
    table = PairLearningHead.table(cfg.model.get('pair_head', {}).get('terms'))
    for term in table.values():
        if term.get('source') == 'teacher':
            return 'cnn' if term['learner'] == 'trans' else 'trans'
    return None


def with_teacher(cfg, folder):
    """``cfg``, its frozen teacher (where its terms read one) a freshly
    built branch saved under ``folder``."""
    import os.path as osp

    import torch
    from mmpretrain.registry import MODELS
    teacher = teacher_branch(cfg)
    if teacher:
        ckpt = osp.join(str(folder), 'teacher.pth')
        torch.save(
            dict(state_dict=MODELS.build(cfg.model[teacher]).state_dict()),
            ckpt)
        cfg.model.pair_head.teacher_checkpoint = ckpt
    return cfg
