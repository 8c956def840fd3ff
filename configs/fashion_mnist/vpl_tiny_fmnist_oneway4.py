# Round-three candidate (benchmarks/README.md): vpl_tiny_fmnist_oneway.py
# with the feature guidance's weight doubled to 4 (round two measured
# weight 1 -> 2 at +0.62 for the transformer).
_base_ = ['./vpl_tiny_fmnist_oneway.py']

model = dict(pair_head=dict(terms=dict(feat=dict(loss=dict(loss_weight=4.0)))))
