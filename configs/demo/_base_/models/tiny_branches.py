# The demo's two branches: stock MMPretrain classifiers, small enough to train
# on 2 CPU cores in minutes at 32x32; and the pair models made of them (VPL,
# DML) with their optimizer, shared by the demo's and the Fashion-MNIST
# configs (configs/fashion_mnist/_base_/models/fmnist_branches.py).
# The PLM's terms they combine: pair_terms.py.
_base_ = ['./pair_terms.py']

# Max learning rates (AdamW), as the paper tunes one per branch.
cnn_lr = 2.5e-3
trans_lr = 1e-3

# ResNet-18 layout at 1/4 width: 128-d embedding.
cnn = dict(
    type='ImageClassifier',
    backbone=dict(type='ResNet', depth=18, base_channels=16, stem_channels=16),
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
            embed_dims=96, num_layers=4, num_heads=3,
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

# VPL (the demo's PLM) and DML of these two branches.
vpl_model = dict(
    type='PairClassifier',
    cnn=cnn,
    trans=trans,
    pair_head=dict(
        type='PairLearningHead',
        # The paper's table (PairLearningHead.PAPER_TERMS: eq. 3-5's
        # contrastive term to the transformer, eq. 6's KL to the CNN), its
        # contrastive term changed. The paper's similarity is the dot product
        # (it gives no tau). At tau = 1 its gradient on this ViT's backbone is
        # 12-27x the cross-entropy's and the ViT ends at 46.5 % instead of
        # 97.6 % (3 seeds; benchmarks/README.md). The demo uses cosine
        # similarity, tau = 0.2 and weight 0.1: 0.2-0.7x.
        terms=dict(
            cl=dict(
                loss=dict(temperature=0.2, normalize=True, loss_weight=0.1)))),
    pred_branch='trans',
)
dml_model = dict(
    type='DMLClassifier',
    cnn=cnn,
    trans=trans,
    kl_loss=dict(type='PairKLDivLoss', temperature=1.0),
    pred_branch='trans')
# One optimizer, the paper's per-branch max LR: the base LR is the
# transformer's, the CNN's parameters get cnn_lr / trans_lr = 2.5x.
pair_optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr=trans_lr, weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'cnn.': dict(lr_mult=2.5)}))
# DML updates the branches in turn: each branch its own DDP wrapper
dml_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False)
# top-1/top-5 of both branches in one pass (PairMetric), for every pair
pair_evaluator = dict(
    _delete_=True,
    type='PairMetric',
    metric=dict(type='Accuracy', topk=(1, 5)))
