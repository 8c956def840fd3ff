# Round five (benchmarks/README.md): vpl_tiny_fmnist_oneway.py with the
# CNN -> transformer KL replaced by DIST (PairDISTLoss: the correlation of the
# predictions within each sample and within each class over the batch; Huang
# et al., NeurIPS 2022), at tau = 1, beta = gamma = 1.
_base_ = ['./vpl_tiny_fmnist_oneway.py']

model = dict(
    pair_head=dict(
        terms=dict(kl=dict(loss=dict(_delete_=True, type='PairDISTLoss')))))
