# Table 6, last row: ViT-Small (DeiT-S layout, 384-d) in place of the CNN
# branch, paired with ViT-Base (both branches share the transformer's
# inductive bias). The "cnn" branch is simply the first branch here: its
# embedding is projected to 768-d and it gets the KL term. Its max LR is
# kept at the headline's CNN value (2.5 x 0.002); the paper does not give it.
_base_ = ['../vpl_r50_vitb_in1k.py']
model = dict(
    cnn=dict(
        _delete_=True,
        type='ImageClassifier',
        backbone=dict(
            type='VisionTransformer',
            arch='deit-small',
            img_size=224,
            patch_size=16,
            drop_rate=0.1),
        neck=None,
        head=dict(
            type='VisionTransformerClsHead',
            num_classes=1000,
            in_channels=384,
            loss=dict(
                type='LabelSmoothLoss',
                label_smooth_val=0.1,
                mode='classy_vision'),
            topk=(1, 5))))
