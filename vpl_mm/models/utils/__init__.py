from .gather import all_gather_with_grad
from .warmup_ema import WarmupEMA

__all__ = ['WarmupEMA', 'all_gather_with_grad']
