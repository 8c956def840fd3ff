# Candidate: the gated PLM plus feature guidance from the CNN to the
# transformer at weight 1 (pair_terms.py, feat_term).
_base_ = ['./vpl_tiny_fmnist_gate.py']

model = dict(pair_head=dict(terms=dict(feat=_base_.feat_term)))
