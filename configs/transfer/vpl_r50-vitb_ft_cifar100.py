# Table 5, CIFAR100: fine-tune the ImageNet-trained pair (see _base_/).
_base_ = ['./_base_/vpl_r50-vitb_ft.py']
data_preprocessor = dict(num_classes=100)
model = dict(
    cnn=dict(head=dict(num_classes=100)),
    trans=dict(head=dict(num_classes=100)))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CIFAR100',
        data_root='data/cifar100',
        split='train',
        pipeline={{_base_.cifar_train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CIFAR100',
        data_root='data/cifar100',
        split='test',
        pipeline={{_base_.cifar_test_pipeline}}))
test_dataloader = val_dataloader
