# DIS, the two-run route of the shipped pair (vpl_tiny_fmnist.py): the solo
# CNN (solo_cnn_tiny_fmnist.py), trained first and frozen, teaches the ViT
# through the shipped pair's own terms and schedule — the contrastive term,
# the decaying feature guidance and KL(p_cnn || p_trans) — as
# dis_tiny_fmnist_feat2.py does for vpl_tiny_fmnist_oneway.py. Until round
# five (benchmarks/README.md) this was the gated PLM's DIS, now
# dis_tiny_fmnist_gate.py.
# Set the teacher's checkpoint:
#   --cfg-options model.pair_head.teacher_checkpoint=PATH
_base_ = ['./dis_tiny_fmnist_feat2.py']

model = dict(pair_head=_base_.feat_decay)
