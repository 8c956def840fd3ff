# Candidate: the gated PLM plus feature guidance from the CNN to the
# transformer (PairFeatureLoss, weight 1): the ResNet's stages 1-3 (7x7x16,
# 4x4x32, 2x2x64 at 28 px) against the ViT's tokens after blocks 1-3 of 4
# (a 4x4 grid of 96-d tokens, patch 7), each through a 1x1 projection, the
# larger grid pooled to the smaller, MSE after a per-position LayerNorm
# (locality guidance, Li et al. ECCV 2022; Bootstrapping ViTs, Zhang et al.
# CVPR 2022). On with the contrastive term (eq. 7's first two stages).
_base_ = ['./vpl_tiny_fmnist_gate.py']

model = dict(
    pair_head=dict(
        terms=dict(
            feat=dict(
                learner='trans',
                inputs=dict(
                    cnn=[
                        'backbone.layer1', 'backbone.layer2', 'backbone.layer3'
                    ],
                    trans=[
                        'backbone.layers.0', 'backbone.layers.1',
                        'backbone.layers.2'
                    ]),
                stage='cl',
                loss=dict(type='PairFeatureLoss', loss_weight=1.0)))))
