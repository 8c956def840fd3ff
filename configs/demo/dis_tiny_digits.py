# DIS (the paper's Table 4 baseline) on the demo: the solo CNN
# (solo_cnn_tiny_digits.py), frozen, teaches the ViT through both PLM terms.
# Set the teacher's checkpoint:
#   --cfg-options model.pair_head.teacher_checkpoint=PATH
# As in configs/distill/: both terms act all along (x = y = 0), each from the
# frozen teacher to the student. The KL's target is the teacher's
# prediction, KL(p_cnn || p_trans): the reverse of eq. 6.
_base_ = ['./vpl_tiny_digits_plm.py']

model = dict(
    pair_head=dict(
        teacher_checkpoint='work_dirs/solo_cnn_tiny_digits/epoch_30.pth',
        terms=dict(
            cl=dict(source='teacher'),
            kl=dict(learner='trans', source='teacher'))),
    pred_branch='trans')
custom_hooks = [
    dict(type='StageSwitchHook', x=0, y=0), *_base_.custom_hooks[1:]
]
