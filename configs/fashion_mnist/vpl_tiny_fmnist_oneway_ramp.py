# Round five (benchmarks/README.md): vpl_tiny_fmnist_oneway.py with every PLM
# term ramped up over the first 30 % of training (pair_terms.py,
# ramp_up).
_base_ = ['./vpl_tiny_fmnist_oneway.py']

model = dict(pair_head=_base_.ramp_up)
