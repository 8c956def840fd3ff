# VPL on Fashion-MNIST without the KL gate: the demo's PLM (cosine similarity,
# tau = 0.2, CL weight 0.1, rho = 1, every sample in the KL), x = y = 20.
# A candidate of the val-split selection (benchmarks/README.md).
_base_ = ['./_base_/models/fmnist_branches.py', './_base_/fashion_mnist.py']

model = dict(
    type='PairClassifier',
    cnn={{_base_.cnn}},
    trans={{_base_.trans}},
    pair_head=dict(
        type='PairLearningHead',
        # the demo's PLM: cosine similarity, tau = 0.2, weight 0.1 (the
        # paper's dot product with tau = 1 is vpl_tiny_fmnist_tau1.py)
        cl_loss=dict(
            type='PairContrastiveLoss',
            temperature=0.2,
            normalize=True,
            loss_weight=0.1),
        kl_loss=dict(type='PairKLDivLoss', temperature=1.0),
        restrict_grad=True),
    pred_branch='trans',
)
# one optimizer, per-branch max LR: the CNN's parameters get 2.5x
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr={{_base_.trans_lr}}, weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'cnn.': dict(lr_mult=2.5)}))
custom_hooks = [
    dict(type='StageSwitchHook', x=20, y=20),
    dict(type='ReseedHook'),
]
val_evaluator = dict(
    _delete_=True,
    type='PairMetric',
    metric=dict(type='Accuracy', topk=(1, )))
test_evaluator = val_evaluator
