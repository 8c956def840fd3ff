# Candidate: the gated PLM plus DeiT's hard-label distillation from the CNN:
# the transformer's cross-entropy against the CNN's top-1, weight 1.
_base_ = ['./vpl_tiny_fmnist_gate.py']

model = dict(
    pair_head=dict(
        terms=dict(
            kd=dict(
                learner='trans',
                inputs='logits',
                stage='cl',
                loss=dict(type='PairHardLabelLoss')))))
