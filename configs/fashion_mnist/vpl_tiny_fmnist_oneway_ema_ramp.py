# Round five (benchmarks/README.md): the EMA source and the ramp-up together,
# as the mean teacher uses them (pair_terms.py).
_base_ = ['./vpl_tiny_fmnist_oneway_ema.py']

model = dict(pair_head=_base_.ramp_up)
