# R2: the thin CNN branch alone (the "solo" baseline). The transformer's solo
# run is R1's (configs/fashion_mnist/solo_trans_tiny_fmnist.py): the same
# branch.
_base_ = ['../fashion_mnist/solo_cnn_tiny_fmnist.py', './_base_/thin_cnn.py']

model = _base_.thin_cnn
