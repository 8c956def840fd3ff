# Data, schedule and runtime for the pair on the real Fashion-MNIST (Zalando:
# 28x28 grey product photos, 10 classes), where neither branch is at its
# ceiling. `python tools/dataset_converters/prepare_fashion_mnist.py` writes
# data/fashion_mnist from the Debian package dataset-fashion-mnist.
#
# Splits, all fixed (benchmarks/README.md, "Fashion-MNIST"):
# - train: the first 12,000 of the 60,000 training images (1,122-1,244 per
#   class), to keep a run within minutes on 2 CPU cores;
# - val: the last 5,000 training images (indices 55,000-59,999), disjoint
#   from train: every setting is chosen on it;
# - test: the official 10,000 test images, used once for the final report.
#   MMPretrain 1.2's FashionMNIST picks its files by `test_mode`, not
#   `split`: `split='test'` alone would load the 60,000 training images.
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['vpl_mm'], allow_failed_imports=False)

data_root = 'data/fashion_mnist'
train_size = 12000
val_indices = list(range(55000, 60000))
# Fashion-MNIST's pixel mean and std (0.286, 0.353 of 255)
data_preprocessor = dict(num_classes=10, mean=[72.94], std=[90.02])

train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='FashionMNIST',
        data_root=data_root,
        split='train',
        download=False,
        indices=train_size,
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=500,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='FashionMNIST',
        data_root=data_root,
        split='train',
        download=False,
        indices=val_indices,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = dict(
    batch_size=500,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type='FashionMNIST',
        data_root=data_root,
        split='test',
        test_mode=True,
        download=False,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

# AdamW, one warm-up epoch, cosine decay (the paper's recipe, scaled down).
# Explicit begin/end so that a resume with another max_epochs keeps them.
max_epochs = 10
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        by_epoch=True,
        begin=0,
        end=1,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=1,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=max_epochs, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=64)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='SafeCheckpointHook',
        interval=1,
        max_keep_ckpts=1,
        save_last=True),
)
custom_hooks = [dict(type='ReseedHook')]
randomness = dict(seed=0, deterministic=True)
