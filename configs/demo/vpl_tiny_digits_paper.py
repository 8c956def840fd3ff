# The demo pair with the paper-literal contrastive term: dot-product
# similarity, tau = 1, weight 1 (eq. 3-5); it collapses the tiny ViT
# (benchmarks/README.md).
_base_ = ['./vpl_tiny_digits_plm.py']

model = dict(
    pair_head=dict(
        terms=dict(
            cl=dict(
                loss=dict(normalize=False, temperature=1.0,
                          loss_weight=1.0)))))
