from .branches import BRANCHES
from .gather import all_gather_with_grad
from .warmup_ema import WarmupEMA

__all__ = ['BRANCHES', 'WarmupEMA', 'all_gather_with_grad']
