# Round five (benchmarks/README.md): vpl_tiny_fmnist_oneway.py with every PLM
# term's target from an EMA of the CNN (pair_terms.py, ema_source).
_base_ = ['./vpl_tiny_fmnist_oneway.py']

model = dict(pair_head=_base_.ema_source)
