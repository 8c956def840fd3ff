# The fair one-way baseline of vpl_tiny_fmnist_feat2.py (issue "the pair that
# pays", benchmarks/README.md): the frozen solo CNN (solo_cnn_tiny_fmnist.py)
# teaches the ViT through the same terms as the pair — the contrastive term,
# the feature guidance at weight 2 and the KL, KL(p_cnn || p_trans)
# (PairClassifier sets pair_head.kl_target from `teacher`) — on the same
# eq. 7 schedule (x = y = 20), without the KL gate (dis_tiny_fmnist_feat2_gate
# keeps it; the val split decides). Cost: the solo CNN's run plus this one.
# Set the teacher's checkpoint:  --cfg-options model.teacher_checkpoint=PATH
_base_ = ['./vpl_tiny_fmnist_feat2.py']

model = dict(
    teacher='cnn',
    teacher_checkpoint='work_dirs/solo_cnn_tiny_fmnist/epoch_10.pth',
    pair_head=dict(restrict_grad=False, kl_gate=None))
