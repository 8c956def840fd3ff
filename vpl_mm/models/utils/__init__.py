from .warmup_ema import WarmupEMA

__all__ = ['WarmupEMA']
