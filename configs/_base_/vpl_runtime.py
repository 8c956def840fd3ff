# Runtime shared by the paper's experiments: MMPretrain's default runtime,
# vpl_mm registered, crash-safe checkpoints, exact resume, and an EMA of the
# weights whose decay warms up with the iteration (evaluated by default:
# SafeEMAHook, MMPretrain's EMAHook, swaps the EMA weights in for validation
# and saving; evaluate_on_origin=True validates the raw weights too).
# Children add their own hooks to the shared list:
#   custom_hooks = [dict(type='StageSwitchHook', x=0, y=0), *_base_.vpl_hooks]
_base_ = ['./default_runtime.py']

default_hooks = dict(
    checkpoint=dict(
        type='SafeCheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_last=True))
vpl_hooks = [
    dict(
        type='SafeEMAHook',
        ema_type='WarmupEMA',
        momentum=1e-4,
        evaluate_on_origin=False,  # True: also validate the raw weights
        priority=49),
    dict(type='ReseedHook'),
]
custom_hooks = vpl_hooks
randomness = dict(seed=0, deterministic=False)
