# DML (the paper's Table 3 baseline) with the Fashion-MNIST branches; the
# demo's DML model and optimizer (fmnist_branches.py).
_base_ = ['./_base_/models/fmnist_branches.py', './_base_/fashion_mnist.py']

model = _base_.dml_model
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False)
optim_wrapper = _base_.pair_optim_wrapper
val_evaluator = dict(
    _delete_=True, type='PairMetric', metric=dict(type='Accuracy', topk=(1, )))
test_evaluator = val_evaluator
