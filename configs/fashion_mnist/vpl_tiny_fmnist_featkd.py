# Candidate: feature guidance (vpl_tiny_fmnist_feat.py) and the CNN ->
# transformer KL at T = 4 (pair_terms.py, kd_term) together: the two terms
# of Bootstrapping ViTs.
_base_ = ['./vpl_tiny_fmnist_feat.py']

model = dict(pair_head=dict(terms=dict(kd=_base_.kd_term)))
