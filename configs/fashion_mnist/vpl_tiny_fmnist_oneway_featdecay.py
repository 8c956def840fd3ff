# Round five (benchmarks/README.md): vpl_tiny_fmnist_oneway.py with the
# feature guidance on all along at a linearly decaying weight
# (pair_terms.py, feat_decay).
_base_ = ['./vpl_tiny_fmnist_oneway.py']

model = dict(pair_head=_base_.feat_decay)
