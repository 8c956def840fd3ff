# DML (the paper's Table 3 baseline) with the demo's branches and recipe
# (_base_/models/tiny_branches.py).
_base_ = ['./_base_/models/tiny_branches.py', './_base_/digits.py']

model = _base_.dml_model
model_wrapper_cfg = _base_.dml_wrapper_cfg
optim_wrapper = _base_.pair_optim_wrapper
val_evaluator = _base_.pair_evaluator
test_evaluator = val_evaluator
