# Runtime shared by the paper's experiments: MMPretrain's default runtime,
# vpl_mm registered, crash-safe checkpoints, exact resume, and an EMA of the
# weights whose decay warms up with the iteration (evaluated by default:
# DualEMAHook, an MMEngine EMAHook, swaps the EMA weights in for validation
# and saving; eval_raw=True validates the raw weights too).
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['vpl_mm'], allow_failed_imports=False)

default_hooks = dict(
    checkpoint=dict(
        type='SafeCheckpointHook',
        interval=1,
        max_keep_ckpts=3,
        save_last=True))
custom_hooks = [
    dict(
        type='DualEMAHook',
        ema_type='WarmupEMA',
        momentum=1e-4,
        eval_raw=False,  # True: also validate the raw weights
        priority=49),
    dict(type='ReseedHook'),
]
randomness = dict(seed=0, deterministic=False)
