# Table 5, CIFAR10: fine-tune the ImageNet-trained pair (see _base_/).
_base_ = ['./_base_/vpl_r50-vitb_ft.py']
data_preprocessor = dict(num_classes=10)
model = dict(
    cnn=dict(head=dict(num_classes=10)), trans=dict(head=dict(num_classes=10)))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CIFAR10',
        data_root='data/cifar10',
        split='train',
        pipeline={{_base_.cifar_train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='CIFAR10',
        data_root='data/cifar10',
        split='test',
        pipeline={{_base_.cifar_test_pipeline}}))
test_dataloader = val_dataloader
