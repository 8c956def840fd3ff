# Round five (benchmarks/README.md): the EMA source, the ramp-up and the
# decaying feature guidance together (pair_terms.py).
_base_ = ['./vpl_tiny_fmnist_oneway_ema_ramp.py']

model = dict(pair_head=_base_.feat_decay)
