from .pair_contrastive_loss import PairContrastiveLoss
from .pair_dist_loss import PairDISTLoss
from .pair_feature_loss import PairFeatureLoss, as_feature_map
from .pair_hard_label_loss import PairHardLabelLoss
from .pair_kl_div_loss import PairKLDivLoss

__all__ = [
    'PairContrastiveLoss', 'PairDISTLoss', 'PairFeatureLoss',
    'PairHardLabelLoss', 'PairKLDivLoss', 'as_feature_map'
]
