# R2: R1's vpl_tiny_fmnist.py, the shipped pair, with the thin CNN.
_base_ = ['../fashion_mnist/vpl_tiny_fmnist.py', './_base_/thin_cnn.py']

model = dict(cnn=_base_.thin_cnn)
