# R2: R1's vpl_tiny_fmnist.py, the shipped pair (round five's winner), with
# the thin CNN. R2's records before round five are of vpl_tiny_fmnist_gate.py.
_base_ = ['../fashion_mnist/vpl_tiny_fmnist.py', './_base_/thin_cnn.py']

model = dict(cnn=_base_.thin_cnn)
