from .fsdp_strategy import PairFSDPStrategy

__all__ = ['PairFSDPStrategy']
