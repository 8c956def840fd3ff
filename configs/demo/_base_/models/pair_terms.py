# The terms and PLM fragments that the demo's and the Fashion-MNIST configs
# combine (benchmarks/README.md): each `*_term` is a term of
# PairLearningHead's table; each other fragment merges into a config's
# `model.pair_head`. Inherited by tiny_branches.py, so every config of the
# two folders reads them as `_base_.<name>`.

# Feature guidance from the CNN to the transformer (PairFeatureLoss, weight
# 1): the ResNet's stages 1-3 (at 28 px 7x7x16, 4x4x32, 2x2x64) against the
# ViT's tokens after blocks 1-3 of 4 (at 28 px a 4x4 grid of 96-d tokens),
# each through a 1x1 projection, the larger grid pooled to the smaller, MSE
# after a per-position LayerNorm (locality guidance, Li et al. ECCV 2022;
# Bootstrapping ViTs, Zhang et al. CVPR 2022). On with the contrastive term
# (eq. 7's first two stages).
feat_term = dict(
    learner='trans',
    inputs=dict(
        cnn=['backbone.layer1', 'backbone.layer2', 'backbone.layer3'],
        trans=['backbone.layers.0', 'backbone.layers.1', 'backbone.layers.2']),
    stage='cl',
    loss=dict(type='PairFeatureLoss', loss_weight=1.0))

# CNN -> transformer logit transfer, KL(p_cnn || p_trans) at T = 4 with the
# T^2 factor (Hinton et al. 2015; Bootstrapping ViTs' logit term, Zhang et
# al. CVPR 2022), on with the contrastive term (eq. 7's first two stages)
kd_term = dict(
    learner='trans',
    inputs='logits',
    stage='cl',
    loss=dict(type='PairKLDivLoss', temperature=4.0, t_squared=True))

# The PLM fragments below merge on top of vpl_tiny_fmnist_oneway.py's terms
# (cl, feat, kl: the CNN teaching the transformer).

# every term's target from an exponential moving average of the CNN, not the
# live CNN: the "mean teacher" (Tarvainen & Valpola, NeurIPS 2017; PCL, Wu &
# Gong, AAAI 2021), in eval mode, its BatchNorm statistics averaged too.
# Momentum 0.01: the average spans about 100 iterations (Fashion-MNIST:
# 1,875 in all).
ema_source = dict(
    ema=dict(type='ExponentialMovingAverage', momentum=0.01),
    terms=dict(
        cl=dict(source='ema'), feat=dict(source='ema'), kl=dict(source='ema')))
# every term ramped up over the first 30 % of training by exp(-5 (1 - t)^2)
# (Laine & Aila, ICLR 2017; the mean teacher's sigmoid_rampup): the
# transformer learns little from the CNN while the CNN is still near random.
ramp = dict(type='SigmoidRampUpWeight', end=0.3)
ramp_up = dict(
    terms=dict(
        cl=dict(schedule=ramp),
        feat=dict(schedule=ramp),
        kl=dict(schedule=ramp)))
# feature guidance on all along, at weight 4 decaying linearly to 0 (mean 2,
# vpl_tiny_fmnist_oneway's weight), as Bootstrapping ViTs decays its feature
# term (Zhang et al., CVPR 2022: weight x (1 - epoch / E)): the shipped
# pairs' feature term (round five's winner), whole, and as a fragment
feat_decay_term = dict(
    feat_term,
    stage=None,
    loss=dict(type='PairFeatureLoss', loss_weight=4.0),
    schedule=dict(type='LinearDecayWeight'))
feat_decay = dict(terms=dict(feat=feat_decay_term))
