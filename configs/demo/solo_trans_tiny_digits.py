# The demo's transformer branch trained alone, with the same data and recipe.
_base_ = ['./_base_/models/tiny_branches.py', './_base_/digits.py']

model = {{_base_.trans}}
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr={{_base_.trans_lr}}, weight_decay=0.05))
