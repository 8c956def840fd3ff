# Round six (benchmarks/README.md): the shipped pair, vpl_tiny_fmnist.py, with
# DeiT's distillation token (Touvron et al., ICML 2021): the ViT gets a second
# extra token with its own linear layer (DistilledVisionTransformer,
# DistTokenClsHead); its cross-entropy (eq. 2) reads the class token, the
# contrastive term and the KL from the CNN teach the distillation token, and
# inference averages both tokens' logits. The feature term is as shipped.
_base_ = ['./vpl_tiny_fmnist.py']

model = dict(
    trans=dict(
        backbone=dict(type='DistilledVisionTransformer'),
        head=dict(type='DistTokenClsHead')),
    pair_head=dict(
        terms=dict(cl=dict(dist_token=True), kl=dict(dist_token=True))))
