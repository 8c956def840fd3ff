# VPL on Fashion-MNIST without the KL gate: the demo's PLM (cosine similarity,
# tau = 0.2, CL weight 0.1, rho = 1, every sample in the KL), x = y = 20.
# A candidate of the val-split selection (benchmarks/README.md).
_base_ = ['./_base_/models/fmnist_branches.py', './_base_/fashion_mnist.py']

# the demo's pair model (fmnist_branches.py; the paper's dot product with
# tau = 1 is vpl_tiny_fmnist_tau1.py) and optimizer (per-branch max LR)
model = _base_.vpl_model
optim_wrapper = _base_.pair_optim_wrapper
custom_hooks = [dict(type='StageSwitchHook', x=20, y=20), *_base_.custom_hooks]
val_evaluator = _base_.pair_evaluator
test_evaluator = val_evaluator
