# R2: R1's vpl_tiny_fmnist_feat2.py, round two's best candidate (feature
# guidance at weight 2), with the thin CNN.
_base_ = ['../fashion_mnist/vpl_tiny_fmnist_feat2.py', './_base_/thin_cnn.py']

model = dict(cnn=_base_.thin_cnn)
