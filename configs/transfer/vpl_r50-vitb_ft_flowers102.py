# Table 5, Flowers102: fine-tune the ImageNet-trained pair (see _base_/).
_base_ = ['./_base_/vpl_r50-vitb_ft.py']
data_preprocessor = dict(num_classes=102)
model = dict(
    cnn=dict(head=dict(num_classes=102)),
    trans=dict(head=dict(num_classes=102)))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='Flowers102',
        data_root='data/flowers102',
        split='trainval',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='Flowers102',
        data_root='data/flowers102',
        split='test',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
