# ViT-Base/16 alone with the paper's recipe (Table 2, "ViT-Base *", 300
# epochs): max LR 0.002, AdamW, weight decay 0.05 (none on the position
# embedding and class token), AutoAugment + RandomErasing, EMA, 16 x 100.
_base_ = [
    'mmpretrain::_base_/models/vit-base-p16.py',
    '../_base_/datasets/imagenet_bs100_autoaug_re.py',
    '../_base_/schedules/imagenet_bs1600_adamw_coslr_300e.py',
    '../_base_/vpl_runtime.py',
]
optim_wrapper = dict(
    optimizer=dict(lr=2e-3),
    paramwise_cfg=dict(custom_keys={
        '.pos_embed': dict(decay_mult=0.0),
        '.cls_token': dict(decay_mult=0.0),
    }))
