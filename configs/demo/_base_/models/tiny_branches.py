# The demo's two branches: stock MMPretrain classifiers, small enough to train
# on 2 CPU cores in minutes at 32x32.
# Max learning rates (AdamW), as the paper tunes one per branch.
cnn_lr = 2.5e-3
trans_lr = 1e-3

# ResNet-18 layout at 1/4 width: 128-d embedding.
cnn = dict(
    type='ImageClassifier',
    backbone=dict(
        type='ResNet', depth=18, base_channels=16, stem_channels=16),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)),
)

# ViT, 4 layers of width 96 (3 heads), patch 4 at 32x32: 96-d embedding.
trans = dict(
    type='ImageClassifier',
    backbone=dict(
        type='VisionTransformer',
        arch=dict(
            embed_dims=96,
            num_layers=4,
            num_heads=3,
            feedforward_channels=384),
        img_size=32,
        patch_size=4,
        drop_rate=0.1),
    neck=None,
    head=dict(
        type='VisionTransformerClsHead',
        num_classes=10,
        in_channels=96,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5),
        # MMPretrain initialises this layer to zero, so at first the
        # cross-entropy gives the ViT's backbone no gradient at all (its
        # gradient flows through this layer's weights) while the contrastive
        # term already steers it; a small random init avoids that.
        init_cfg=dict(type='TruncNormal', layer='Linear', std=0.02)),
)
