# DML (the paper's Table 3 baseline) with the demo's branches and recipe
# (_base_/models/tiny_branches.py).
_base_ = ['./_base_/models/tiny_branches.py', './_base_/digits.py']

model = _base_.dml_model
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False)
optim_wrapper = _base_.pair_optim_wrapper
val_evaluator = dict(
    _delete_=True,
    type='PairMetric',
    metric=dict(type='Accuracy', topk=(1, 5)))
test_evaluator = val_evaluator
