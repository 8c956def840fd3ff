# Round-four candidate (benchmarks/README.md): vpl_tiny_fmnist_oneway.py with
# every PLM term on all along (x = y = 0, eq. 7's one-stage ablation), so
# that the transformer keeps learning from the CNN's features in the last
# epochs, when the CNN is at its best (with x = y = 20 the feature guidance
# stops after epoch 8).
_base_ = ['./vpl_tiny_fmnist_oneway.py']

custom_hooks = [
    dict(_base_.custom_hooks[0], x=0, y=0), *_base_.custom_hooks[1:]
]
