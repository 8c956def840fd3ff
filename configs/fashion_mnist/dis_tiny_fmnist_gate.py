# DIS (the paper's Table 4 baseline) with the gated PLM: the solo CNN
# (solo_cnn_tiny_fmnist.py), frozen, teaches the ViT through both PLM terms
# of vpl_tiny_fmnist_gate.py, all along (x = y = 0). The KL's target is the
# teacher's prediction, KL(p_cnn || p_trans); the gate keeps it only where
# the teacher gives the true class at least the student's probability.
# Until round five (benchmarks/README.md) this was dis_tiny_fmnist.py.
# Set the teacher's checkpoint:
#   --cfg-options model.pair_head.teacher_checkpoint=PATH
_base_ = ['./vpl_tiny_fmnist_gate.py']

model = dict(
    pair_head=dict(
        terms=dict(
            cl=dict(source='teacher'),
            kl=dict(learner='trans', source='teacher')),
        teacher_checkpoint='work_dirs/solo_cnn_tiny_fmnist/epoch_10.pth'))
custom_hooks = [
    dict(_base_.custom_hooks[0], x=0, y=0), *_base_.custom_hooks[1:]
]
