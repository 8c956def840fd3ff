# ImageNet-1k with the paper's augmentation: MMPretrain's AutoAugment
# pipeline plus RandomErasing; 100 images per GPU (16 GPUs: batch 1600).
_base_ = ['mmpretrain::_base_/datasets/imagenet_bs64_autoaug.py']

bgr_mean = [103.53, 116.28, 123.675]
bgr_std = [57.375, 57.12, 58.395]
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(
        type='AutoAugment',
        policies='imagenet',
        hparams=dict(
            pad_val=[round(x) for x in bgr_mean], interpolation='bicubic')),
    dict(
        type='RandomErasing',
        erase_prob=0.25,
        mode='rand',
        min_area_ratio=0.02,
        max_area_ratio=1 / 3,
        fill_color=bgr_mean,
        fill_std=bgr_std),
    dict(type='PackInputs'),
]
train_dataloader = dict(batch_size=100, dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(batch_size=100)
test_dataloader = val_dataloader
