# Round five (benchmarks/README.md): vpl_tiny_fmnist_oneway_ema.py with a
# slower average, momentum 0.002 (about 500 iterations, 2.7 epochs): steadier
# targets that trail the CNN further.
_base_ = ['./vpl_tiny_fmnist_oneway_ema.py']

model = dict(pair_head=dict(ema=dict(momentum=0.002)))
