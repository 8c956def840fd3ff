# dis_tiny_fmnist_feat2.py with the KL gate of vpl_tiny_fmnist_gate.py: the
# KL acts only where the teacher gives the true class at least the student's
# probability.
_base_ = ['./dis_tiny_fmnist_feat2.py']

model = dict(pair_head=dict(terms=dict(kl=dict(gate='target_better'))))
