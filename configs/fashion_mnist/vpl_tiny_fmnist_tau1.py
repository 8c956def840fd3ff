# The paper-literal contrastive term: dot-product similarity, tau = 1,
# weight 1 (eq. 3-5, 7; the paper gives no tau: 1 is what the ImageNet
# configs shipped first).
_base_ = ['./vpl_tiny_fmnist_nogate.py']

model = dict(
    pair_head=dict(
        terms=dict(
            cl=dict(
                loss=dict(temperature=1.0, normalize=False,
                          loss_weight=1.0)))))
