# VPL on Fashion-MNIST, the gated PLM: chosen on the val split in the first
# suite, shipped as vpl_tiny_fmnist.py until round five (method vpl_gate;
# benchmarks/README.md):
# the demo's PLM (cosine similarity, tau = 0.2, CL weight 0.1, rho = 1) with
# the KL acting only where the transformer gives the true class at least the
# CNN's probability (kl_gate='target_better'), x = y = 20 (eq. 7).
_base_ = ['./vpl_tiny_fmnist_nogate.py']

model = dict(pair_head=dict(terms=dict(kl=dict(gate='target_better'))))
