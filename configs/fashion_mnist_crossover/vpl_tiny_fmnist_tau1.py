# R2: R1's vpl_tiny_fmnist_tau1.py, the paper-literal PLM (dot product,
# tau = 1, KL on every sample), with the thin CNN.
_base_ = ['../fashion_mnist/vpl_tiny_fmnist_tau1.py', './_base_/thin_cnn.py']

model = dict(cnn=_base_.thin_cnn)
