# Table 4, "DIS ViT-Base": ResNet-50 trained alone first
# (configs/baselines/solo_r50_16xb100_in1k.py), then frozen as teacher while
# ViT-B learns from the labels and both PLM terms. Set the teacher's
# checkpoint:  --cfg-options model.pair_head.teacher_checkpoint=PATH
# As dis_vitb-to-r50: both terms all along (x = y = 0), each from the frozen
# teacher to the student. The KL's target is the teacher's prediction,
# KL(p_cnn || p_trans): the reverse of eq. 6.
_base_ = ['../vpl_r50_vitb_in1k.py']
model = dict(
    pair_head=dict(
        teacher_checkpoint='work_dirs/solo_r50_16xb100_in1k/epoch_300.pth',
        terms=dict(
            cl=dict(source='teacher'),
            kl=dict(learner='trans', source='teacher'))))
custom_hooks = [dict(type='StageSwitchHook', x=0, y=0), *_base_.vpl_hooks]
