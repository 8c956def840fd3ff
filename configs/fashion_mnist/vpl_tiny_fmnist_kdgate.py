# Candidate: vpl_tiny_fmnist_kd.py with the CNN -> transformer KL gated as
# eq. 6's is: only where the CNN gives the true class at least the
# transformer's probability (at T = 4). Each branch learns only where its
# partner is the better one.
_base_ = ['./vpl_tiny_fmnist_kd.py']

model = dict(pair_head=dict(terms=dict(kd=dict(gate='target_better'))))
