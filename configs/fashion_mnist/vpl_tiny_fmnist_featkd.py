# Candidate: feature guidance (vpl_tiny_fmnist_feat.py) and the CNN ->
# transformer KL at T = 4 together: the two terms of Bootstrapping ViTs.
_base_ = ['./vpl_tiny_fmnist_feat.py']

model = dict(
    pair_head=dict(
        terms=dict(
            kd=dict(
                learner='trans',
                inputs='logits',
                stage='cl',
                loss=dict(
                    type='PairKLDivLoss', temperature=4.0, t_squared=True)))))
