# Table 5, StanfordCars: fine-tune the ImageNet-trained pair (see _base_/).
_base_ = ['./_base_/vpl_r50-vitb_ft.py']
data_preprocessor = dict(num_classes=196)
model = dict(
    cnn=dict(head=dict(num_classes=196)),
    trans=dict(head=dict(num_classes=196)))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='StanfordCars',
        data_root='data/stanfordcars',
        split='train',
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='StanfordCars',
        data_root='data/stanfordcars',
        split='test',
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader
