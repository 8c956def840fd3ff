# Beyond the paper: same-class images are no contrastive negatives
# (PairContrastiveLoss(exclude_same_class=True)): with 10 classes a batch of
# 64 holds about 6 images of each anchor's class.
_base_ = ['./vpl_tiny_fmnist_nogate.py']

model = dict(
    pair_head=dict(terms=dict(cl=dict(loss=dict(exclude_same_class=True)))))
