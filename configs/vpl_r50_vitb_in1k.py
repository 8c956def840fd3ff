# VPL, ResNet-50 + ViT-Base/16 on ImageNet-1k, 300 epochs, 16 GPUs x 100
# images (the paper's Table 2, "VPL" rows, 300 epochs):
#   tools/dist_train.sh configs/vpl_r50_vitb_in1k.py 16
_base_ = [
    './_base_/models/vpl_r50_vitb.py',
    './_base_/datasets/imagenet_bs100_autoaug_re.py',
    './_base_/schedules/imagenet_bs1600_adamw_coslr_300e.py',
    './_base_/vpl_runtime.py',
]

# Per-branch max LR (the paper): the base LR 0.002 is the transformer's;
# the CNN's parameters get lr_mult 2.5 -> 0.005. Weight decay 0.05 for both,
# none on the ViT's position embedding and class token.
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'cnn.': dict(lr_mult=2.5),
            '.pos_embed': dict(decay_mult=0.0),
            '.cls_token': dict(decay_mult=0.0),
        }))

# eq. 7: first 20% of epochs CL only, last 20% KL only
custom_hooks = [dict(type='StageSwitchHook', x=20, y=20), *_base_.vpl_hooks]

# top-1/top-5 of both branches in one pass
val_evaluator = dict(
    _delete_=True,
    type='PairMetric',
    metric=dict(type='Accuracy', topk=(1, 5)))
test_evaluator = val_evaluator
