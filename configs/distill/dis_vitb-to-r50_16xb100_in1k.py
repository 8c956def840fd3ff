# Table 4, "DIS ResNet-50": ViT-B trained alone first
# (configs/baselines/solo_vitb_16xb100_in1k.py), then frozen as teacher while
# ResNet-50 learns from the labels and both PLM terms. Set the teacher's
# checkpoint:  --cfg-options model.pair_head.teacher_checkpoint=PATH
# The paper does not say how the stages and gradient restriction apply to a
# frozen teacher; here both PLM terms act all along (x = y = 0), each from
# the frozen teacher to the student.
_base_ = ['../vpl_r50_vitb_in1k.py']
model = dict(
    pair_head=dict(
        teacher_checkpoint='work_dirs/solo_vitb_16xb100_in1k/epoch_300.pth',
        terms=dict(
            cl=dict(learner='cnn', source='teacher'),
            kl=dict(source='teacher'))),
    pred_branch='cnn')
custom_hooks = [dict(type='StageSwitchHook', x=0, y=0), *_base_.vpl_hooks]
