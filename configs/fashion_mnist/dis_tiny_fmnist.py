# DIS (the paper's Table 4 baseline) on Fashion-MNIST: the solo CNN
# (solo_cnn_tiny_fmnist.py), frozen, teaches the ViT through both PLM terms,
# all along (x = y = 0), reaching the student (restrict_grad=False). The KL
# target is the teacher's prediction, KL(p_cnn || p_trans) (PairClassifier
# sets pair_head.kl_target from `teacher`). The PLM is vpl's, the KL gate
# included: the KL acts only where the teacher gives the true class at least
# the student's probability.
# Set the teacher's checkpoint:  --cfg-options model.teacher_checkpoint=PATH
_base_ = ['./vpl_tiny_fmnist_gate.py']

model = dict(
    teacher='cnn',
    teacher_checkpoint='work_dirs/solo_cnn_tiny_fmnist/epoch_10.pth',
    pair_head=dict(restrict_grad=False))
custom_hooks = [
    dict(_base_.custom_hooks[0], x=0, y=0), *_base_.custom_hooks[1:]
]
