# Candidate: the gated PLM plus DeiT's hard-label distillation from the CNN:
# the transformer's cross-entropy against the CNN's top-1, weight 1, as
# pair_terms.py's kd_term with another loss.
_base_ = ['./vpl_tiny_fmnist_kd.py']

model = dict(
    pair_head=dict(
        terms=dict(
            kd=dict(loss=dict(_delete_=True, type='PairHardLabelLoss')))))
