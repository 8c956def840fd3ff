from .pair_contrastive_loss import PairContrastiveLoss
from .pair_kl_div_loss import PairKLDivLoss

__all__ = ['PairContrastiveLoss', 'PairKLDivLoss']
