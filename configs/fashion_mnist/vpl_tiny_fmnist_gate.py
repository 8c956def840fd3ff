# Beyond the paper: the KL term acts only on the samples where the
# transformer (the KL target) gives the true class at least the CNN's
# probability, so that it cannot drag a stronger CNN toward a weaker
# transformer (PairLearningHead(kl_gate='target_better')).
_base_ = ['./vpl_tiny_fmnist.py']

model = dict(pair_head=dict(kl_gate='target_better'))
