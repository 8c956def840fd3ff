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
    # PLM: eq. 3-7 with the paper's unweighted terms and N = the global batch
    # (gather=True: 1,600 on 16 GPUs), but cosine similarity at tau = 0.2
    # instead of the dot product at tau = 1 (the paper gives no tau): with
    # the dot product the contrastive gradient on the ViT-B backbone is
    # 124-773x its cross-entropy's in the first steps (benchmarks/README.md,
    # "Loss-scale audit"). rho = 1 is ours too. The paper-literal PLM:
    # configs/ablations/vpl_r50-vitb_16xb100_in1k_paper-plm.py. The 2048-d
    # CNN embedding is projected to 768-d. Paper vs ours: docs/imagenet.md,
    # "The recipe".
    pair_head=dict(
        type='PairLearningHead',
        # merged into the paper's table (PairLearningHead.PAPER_TERMS)
        terms=dict(
            # eq. 3-5: the CNN teaches the transformer
            cl=dict(
                learner='trans',
                loss=dict(
                    temperature=0.2,
                    loss_weight=1.0,
                    normalize=True,
                    gather=True)),
            # eq. 6: the transformer teaches the CNN
            kl=dict(
                learner='cnn', loss=dict(temperature=1.0, loss_weight=1.0)))),
    pred_branch='trans')
