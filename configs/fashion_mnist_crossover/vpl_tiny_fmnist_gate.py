# R2: R1's vpl_tiny_fmnist_gate.py, the gated PLM, with the thin CNN.
_base_ = ['../fashion_mnist/vpl_tiny_fmnist_gate.py', './_base_/thin_cnn.py']

model = dict(cnn=_base_.thin_cnn)
