# DIS (the paper's Table 4 baseline) on the demo: the solo CNN
# (solo_cnn_tiny_digits.py), frozen, teaches the ViT through both PLM terms.
# Set the teacher's checkpoint:  --cfg-options model.teacher_checkpoint=PATH
# As in configs/distill/: both terms act all along (x = y = 0) and reach the
# student (restrict_grad=False; nothing reaches the frozen teacher anyway).
# The KL target is the teacher's prediction, KL(p_cnn || p_trans): the reverse
# of eq. 6 (PairClassifier sets pair_head.kl_target from `teacher`).
_base_ = ['./vpl_tiny_digits.py']

model = dict(
    teacher='cnn',
    teacher_checkpoint='work_dirs/solo_cnn_tiny_digits/epoch_30.pth',
    pair_head=dict(restrict_grad=False),
    pred_branch='trans')
custom_hooks = [
    dict(type='StageSwitchHook', x=0, y=0), *_base_.custom_hooks[1:]
]
