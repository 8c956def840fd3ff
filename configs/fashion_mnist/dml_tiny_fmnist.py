# DML (the paper's Table 3 baseline) with the Fashion-MNIST branches.
_base_ = ['./_base_/models/fmnist_branches.py', './_base_/fashion_mnist.py']

model = dict(
    type='DMLClassifier',
    cnn={{_base_.cnn}},
    trans={{_base_.trans}},
    kl_loss=dict(type='PairKLDivLoss', temperature=1.0),
    pred_branch='trans')
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False)
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr={{_base_.trans_lr}}, weight_decay=0.05),
    paramwise_cfg=dict(custom_keys={'cnn.': dict(lr_mult=2.5)}))
val_evaluator = dict(
    _delete_=True,
    type='PairMetric',
    metric=dict(type='Accuracy', topk=(1, )))
test_evaluator = val_evaluator
