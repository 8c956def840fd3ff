# VPL on the real digits, the main job of README.md, in the shipped form
# (round five's winner, fashion_mnist/vpl_tiny_fmnist.py, benchmarks/README):
# the CNN teaches the transformer through the contrastive term (eq. 3-5),
# feature guidance at a linearly decaying weight (pair_terms.py,
# feat_decay_term) and KL(p_cnn || p_trans) (eq. 6 turned around:
# learner='trans'); the CNN learns from its labels alone (eq. 1). The rest
# is the demo's (vpl_tiny_digits_plm.py: cosine similarity, tau = 0.2, CL
# weight 0.1, x = y = 20 of eq. 7, per-branch max LR).
_base_ = ['./vpl_tiny_digits_plm.py']

model = dict(
    pair_head=dict(
        terms=dict(feat=_base_.feat_decay_term, kl=dict(learner='trans'))))
