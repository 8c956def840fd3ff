from .reseed_hook import ReseedHook
from .safe_checkpoint_hook import SafeCheckpointHook
from .stage_switch_hook import StageSwitchHook

__all__ = ['ReseedHook', 'SafeCheckpointHook', 'StageSwitchHook']
