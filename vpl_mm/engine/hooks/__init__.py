from .checkpoint_fit_hook import CheckpointFitHook
from .data_fit_hook import DataFitHook
from .preemption_hook import PreemptionHook
from .reseed_hook import ReseedHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .safe_ema_hook import SafeEMAHook
from .stage_switch_hook import StageSwitchHook

__all__ = [
    'CheckpointFitHook', 'DataFitHook', 'PreemptionHook', 'ReseedHook',
    'SafeCheckpointHook', 'SafeEMAHook', 'StageSwitchHook'
]
