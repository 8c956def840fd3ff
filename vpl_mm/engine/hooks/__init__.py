from .dual_ema_hook import DualEMAHook
from .reseed_hook import ReseedHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .stage_switch_hook import StageSwitchHook

__all__ = [
    'DualEMAHook', 'ReseedHook', 'SafeCheckpointHook', 'StageSwitchHook'
]
