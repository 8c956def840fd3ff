# Data and schedule for the pair on the real Fashion-MNIST (Zalando: 28x28
# grey product photos, 10 classes), where neither branch is at its ceiling;
# the rest (runtime, optimizer, warm-up + cosine, hooks) is the demo's.
# `python tools/dataset_converters/prepare_fashion_mnist.py` writes
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
_base_ = ['../../demo/_base_/digits.py']

dataset_type = 'FashionMNIST'
data_root = 'data/fashion_mnist'
train_size = 12000
val_indices = list(range(55000, 60000))
# Fashion-MNIST's pixel mean and std (0.286, 0.353 of 255)
data_preprocessor = dict(
    _delete_=True, num_classes=10, mean=[72.94], std=[90.02])

train_pipeline = [
    dict(type='RandomCrop', crop_size=28, padding=2),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
test_pipeline = [dict(type='PackInputs')]

# the demo's dataloaders with these datasets
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='train',
        download=False,
        indices=train_size,
        pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=500,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='train',
        download=False,
        indices=val_indices,
        pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=500,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        split='test',
        test_mode=True,
        download=False,
        pipeline=test_pipeline))
val_evaluator = dict(topk=(1, ))
test_evaluator = val_evaluator

max_epochs = 10
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=50))
