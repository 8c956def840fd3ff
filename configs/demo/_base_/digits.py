# Data, schedule and runtime of the demo on scikit-learn's real handwritten
# digits (tools/dataset_converters/prepare_digits.py writes data/digits).
_base_ = ['../../_base_/default_runtime.py']

dataset_type = 'CustomDataset'
data_root = 'data/digits'
data_preprocessor = dict(
    num_classes=10, mean=[127.5] * 3, std=[127.5] * 3, to_rgb=False)

train_pipeline = [
    dict(type='LoadImageFromFile'),
    # random translation by up to 3 px
    dict(type='RandomCrop', crop_size=32, padding=3),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='train',
        pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
)
val_dataloader = dict(
    batch_size=256,
    num_workers=0,
    persistent_workers=False,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        data_prefix='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_evaluator = val_evaluator

# AdamW + one warm-up epoch + cosine decay (the paper's recipe, scaled down).
# Schedulers carry explicit begin/end so that a resume with another
# max_epochs keeps them.
max_epochs = 30
# NonFiniteOptimWrapper: a NaN or infinite loss or gradient stops training
# before the update (nonfinite='skip': skips the update)
optim_wrapper = dict(
    type='NonFiniteOptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-3, weight_decay=0.05))
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
    logger=dict(type='LoggerHook', interval=10),
    # atomic writes; old checkpoints deleted only after the new one is saved
    checkpoint=dict(
        type='SafeCheckpointHook',
        interval=1,
        max_keep_ckpts=1,
        save_last=True),
)
# ReseedHook + deterministic: a resumed run trains bit-identically to an
# uninterrupted one (on CPU).
custom_hooks = [dict(type='ReseedHook')]
randomness = dict(seed=0, deterministic=True)
