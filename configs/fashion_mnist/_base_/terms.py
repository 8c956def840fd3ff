# Fragments of the PLM's table that the candidates of benchmarks/README.md
# combine. `kd_term` is a term; the others merge into a child's
# `model.pair_head`, on top of vpl_tiny_fmnist_oneway.py's terms (cl, feat,
# kl: the CNN teaching the transformer).

# CNN -> transformer logit transfer, KL(p_cnn || p_trans) at T = 4 with the
# T^2 factor (Hinton et al. 2015; Bootstrapping ViTs' logit term, Zhang et
# al. CVPR 2022), on with the contrastive term (eq. 7's first two stages)
kd_term = dict(
    learner='trans',
    inputs='logits',
    stage='cl',
    loss=dict(type='PairKLDivLoss', temperature=4.0, t_squared=True))

# every term's target from an exponential moving average of the CNN, not the
# live CNN: the "mean teacher" (Tarvainen & Valpola, NeurIPS 2017; PCL, Wu &
# Gong, AAAI 2021), in eval mode, its BatchNorm statistics averaged too.
# Momentum 0.01: the average spans about 100 of the 1,875 iterations.
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
# term (Zhang et al., CVPR 2022: weight x (1 - epoch / E))
feat_decay = dict(
    terms=dict(
        feat=dict(
            stage=None,
            loss=dict(loss_weight=4.0),
            schedule=dict(type='LinearDecayWeight'))))
