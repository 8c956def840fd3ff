# Candidate of "The pair that pays" (benchmarks/README.md): the gated PLM
# (vpl_tiny_fmnist_gate.py) plus CNN -> transformer logit transfer
# (pair_terms.py, kd_term: KL(p_cnn || p_trans) at T = 4), every sample.
_base_ = ['./vpl_tiny_fmnist_gate.py']

model = dict(pair_head=dict(terms=dict(kd=_base_.kd_term)))
