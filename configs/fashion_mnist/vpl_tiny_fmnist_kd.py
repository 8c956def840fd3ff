# Candidate of "The pair that pays" (benchmarks/README.md): the gated PLM
# (vpl_tiny_fmnist_gate.py) plus CNN -> transformer logit transfer,
# KL(p_cnn || p_trans) at T = 4 with the T^2 factor, weight 1, every sample
# (Bootstrapping ViTs' logit term, Zhang et al. CVPR 2022). On with the
# contrastive term (eq. 7's first two stages).
_base_ = ['./vpl_tiny_fmnist_gate.py']

model = dict(
    pair_head=dict(
        terms=dict(
            kd=dict(
                learner='trans',
                inputs='logits',
                stage='cl',
                loss=dict(
                    type='PairKLDivLoss', temperature=4.0, t_squared=True)))))
