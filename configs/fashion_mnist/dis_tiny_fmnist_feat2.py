# The fair one-way baseline of vpl_tiny_fmnist_feat2.py (issue "the pair that
# pays", benchmarks/README.md): the frozen solo CNN (solo_cnn_tiny_fmnist.py)
# teaches the ViT through the same terms as the pair — the contrastive term,
# the feature guidance at weight 2 and the KL, KL(p_cnn || p_trans)
# — on the same eq. 7 schedule (x = y = 20), without the KL gate
# (dis_tiny_fmnist_feat2_gate keeps it; the val split decides). Cost: the solo
# CNN's run plus this one.
# Set the teacher's checkpoint:
#   --cfg-options model.pair_head.teacher_checkpoint=PATH
_base_ = ['./vpl_tiny_fmnist_feat2.py']

model = dict(
    pair_head=dict(
        teacher_checkpoint='work_dirs/solo_cnn_tiny_fmnist/epoch_10.pth',
        terms=dict(
            cl=dict(source='teacher'),
            feat=dict(source='teacher'),
            kl=dict(learner='trans', source='teacher', gate=None))))
