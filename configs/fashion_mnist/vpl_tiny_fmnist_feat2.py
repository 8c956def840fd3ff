# Second-round candidate (benchmarks/README.md, "The pair that pays"):
# vpl_tiny_fmnist_feat.py with the feature guidance's weight doubled.
_base_ = ['./vpl_tiny_fmnist_feat.py']

model = dict(pair_head=dict(terms=dict(feat=dict(loss=dict(loss_weight=2.0)))))
