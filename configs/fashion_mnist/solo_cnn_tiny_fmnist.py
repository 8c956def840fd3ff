# The CNN branch alone on Fashion-MNIST (the "solo" baseline).
_base_ = ['./_base_/models/fmnist_branches.py', './_base_/fashion_mnist.py']

model = {{_base_.cnn}}
optim_wrapper = dict(
    optimizer=dict(type='AdamW', lr={{_base_.cnn_lr}}, weight_decay=0.05))
