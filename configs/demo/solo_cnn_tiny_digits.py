# The demo's CNN branch trained alone, with the same data and recipe.
_base_ = ['./_base_/models/tiny_branches.py', './_base_/digits.py']

model = {{_base_.cnn}}
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr={{_base_.cnn_lr}}, weight_decay=0.05))
