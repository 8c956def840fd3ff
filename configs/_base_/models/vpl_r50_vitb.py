# The paper's pair: stock MMPretrain ResNet-50 (CNN branch, 2048-d
# embedding) and ViT-Base/16 (transformer branch, 768-d), as in
# mmpretrain::_base_/models/resnet50.py and vit-base-p16.py.
model = dict(
    type='PairClassifier',
    cnn=dict(
        type='ImageClassifier',
        backbone=dict(
            type='ResNet',
            depth=50,
            num_stages=4,
            out_indices=(3, ),
            style='pytorch'),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(
            type='LinearClsHead',
            num_classes=1000,
            in_channels=2048,
            loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
            topk=(1, 5))),
    trans=dict(
        type='ImageClassifier',
        backbone=dict(
            type='VisionTransformer',
            arch='b',
            img_size=224,
            patch_size=16,
            drop_rate=0.1,
            init_cfg=[
                dict(
                    type='Kaiming',
                    layer='Conv2d',
                    mode='fan_in',
                    nonlinearity='linear')
            ]),
        neck=None,
        head=dict(
            type='VisionTransformerClsHead',
            num_classes=1000,
            in_channels=768,
            loss=dict(
                type='LabelSmoothLoss',
                label_smooth_val=0.1,
                mode='classy_vision'),
            topk=(1, 5))),
    # PLM: the paper's dot-product similarity and unweighted terms (eq. 3-7);
    # tau = rho = 1 are ours (the paper gives no value). The 2048-d CNN
    # embedding is projected to 768-d. Paper vs ours: README, "The recipe".
    pair_head=dict(
        type='PairLearningHead',
        cl_loss=dict(
            type='PairContrastiveLoss',
            temperature=1.0,
            loss_weight=1.0,
            normalize=False,
            gather=False),
        kl_loss=dict(type='PairKLDivLoss', temperature=1.0, loss_weight=1.0),
        restrict_grad=True),
    pred_branch='trans')
