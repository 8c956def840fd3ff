# Candidate: the gated PLM with the contrastive term through an MLP
# projection per branch (Linear, ReLU, Linear to 128-d; cosine similarity)
# at tau = 0.1, as MCL and CRD use between heterogeneous networks, in place
# of the affine layer.
_base_ = ['./vpl_tiny_fmnist_gate.py']

model = dict(
    pair_head=dict(
        terms=dict(
            cl=dict(
                connector=dict(out_channels=128), loss=dict(
                    temperature=0.1)))))
