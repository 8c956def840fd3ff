# VPL on the real digits with the demo's PLM: the tiny ResNet and ViT trained
# as a pair with the paper's multi-stage schedule x = y = 20 (eq. 7). The
# pair model and its optimizer are the demo's (_base_/models/tiny_branches.py:
# the paper's two terms, cosine similarity, tau = 0.2, CL weight 0.1;
# per-branch max LR). The base of the demo's ablations (_bi, _paper, _x0y0)
# and of its DIS baseline.
_base_ = ['./_base_/models/tiny_branches.py', './_base_/digits.py']

model = _base_.vpl_model
optim_wrapper = _base_.pair_optim_wrapper

custom_hooks = [
    dict(type='StageSwitchHook', x=20, y=20, by_epoch=True),
    *_base_.custom_hooks
]

val_evaluator = _base_.pair_evaluator
test_evaluator = val_evaluator
