# Candidate: feature guidance (vpl_tiny_fmnist_feat.py) and the CNN ->
# transformer KL at T = 4 (_base_/terms.py, kd_term) together: the two terms
# of Bootstrapping ViTs.
_base_ = ['./vpl_tiny_fmnist_feat.py', './_base_/terms.py']

model = dict(pair_head=dict(terms=dict(kd=_base_.kd_term)))
