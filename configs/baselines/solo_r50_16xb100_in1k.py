# ResNet-50 alone with the paper's recipe (Table 2, "ResNet-50 *", 300
# epochs): max LR 0.005, AdamW, weight decay 0.05, AutoAugment +
# RandomErasing, EMA, 16 GPUs x 100 images.
_base_ = [
    'mmpretrain::_base_/models/resnet50.py',
    '../_base_/datasets/imagenet_bs100_autoaug_re.py',
    '../_base_/schedules/imagenet_bs1600_adamw_coslr_300e.py',
    '../_base_/vpl_runtime.py',
]
optim_wrapper = dict(optimizer=dict(lr=5e-3))
