# Template for a new pair: ConvNeXt-T (CNN branch) + Swin-T (transformer
# branch), everything else from the headline recipe. Not in the paper; the
# learning rates below are untuned starting points.
_base_ = ['./vpl_r50_vitb_in1k.py']

model = dict(
    # each branch: a complete stock MMPretrain classifier (_delete_ drops the
    # inherited ResNet-50 / ViT-B keys)
    cnn=dict(
        _delete_=True,
        type='ImageClassifier',
        backbone=dict(type='ConvNeXt', arch='tiny', drop_path_rate=0.1),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=768,
            topk=(1, 5))),
    trans=dict(
        _delete_=True,
        type='ImageClassifier',
        backbone=dict(
            type='SwinTransformer',
            arch='tiny',
            img_size=224,
            drop_path_rate=0.2),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=768,
            topk=(1, 5))))
# Both embeddings are 768-d, so PairLearningHead adds no projection (it reads
# the sizes from the heads' last linear layers and projects when they differ).

# Per-branch max LR: the base LR is the transformer's, `cnn.` gets lr_mult.
optim_wrapper = dict(
    optimizer=dict(lr=1e-3),
    paramwise_cfg=dict(
        custom_keys={
            'cnn.': dict(lr_mult=2.0),
            '.absolute_pos_embed': dict(decay_mult=0.0),
            '.relative_position_bias_table': dict(decay_mult=0.0),
        }))
