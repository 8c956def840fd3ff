# Table 6: a stronger CNN, RegNetY-16GF, paired with ViT-Base. MMPretrain's
# own RegNet has no SE blocks (RegNetX only), so the branch uses timm's
# regnety_160 through MMPretrain's stock TIMMBackbone (needs
# `pip install timm`, e.g. `pip install -e .[timm]`): 83.6M parameters,
# 3024-d embedding, projected to 768-d. Its max LR is kept at the
# headline's CNN value (the paper does not give it).
_base_ = ['../vpl_r50_vitb_in1k.py']
model = dict(
    cnn=dict(
        _delete_=True,
        type='ImageClassifier',
        backbone=dict(
            type='TIMMBackbone', model_name='regnety_160', pretrained=False),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=3024,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))))
