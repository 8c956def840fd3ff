from .stage_switch_hook import StageSwitchHook

__all__ = ['StageSwitchHook']
