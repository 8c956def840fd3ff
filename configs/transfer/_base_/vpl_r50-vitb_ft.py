# Table 5: fine-tune an ImageNet-trained VPL pair on a smaller dataset.
# The paper: max LR 1e-4 (ViT-B) and 5e-4 (ResNet-50), weight decay 1e-8.
# Epochs and batch size are not given in the paper; 100 epochs and 8 GPUs
# x 64 are our choice. Set the pair checkpoint with
#   --cfg-options load_from=work_dirs/vpl_r50_vitb_in1k/epoch_300.pth
# (the 1000-class heads do not fit and are left at their initialisation;
# everything else is loaded).
_base_ = ['../../vpl_r50_vitb_in1k.py']

load_from = 'work_dirs/vpl_r50_vitb_in1k/epoch_300.pth'
train_dataloader = dict(batch_size=64)
val_dataloader = dict(batch_size=64)
test_dataloader = val_dataloader
optim_wrapper = dict(
    optimizer=dict(lr=1e-4, weight_decay=1e-8),
    paramwise_cfg=dict(custom_keys={'cnn.': dict(lr_mult=5.0)}))
train_cfg = dict(max_epochs=100)
auto_scale_lr = dict(base_batch_size=512)

# CIFAR hands over decoded 32x32 arrays: the same augmentation without
# LoadImageFromFile, and test images resized to 224 (the CIFAR configs).
cifar_train_pipeline = _base_.train_pipeline[1:]
cifar_test_pipeline = [
    dict(type='Resize', scale=224, interpolation='bicubic'),
    dict(type='PackInputs'),
]
