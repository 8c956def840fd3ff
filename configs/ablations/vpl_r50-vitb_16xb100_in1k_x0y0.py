# Table 8: multi-stage proportions x = y = 0 (the headline uses 20); x = y = 0
# is one-stage training, both terms all along
_base_ = ['../vpl_r50_vitb_in1k.py']
custom_hooks = [
    dict(type='StageSwitchHook', x=0, y=0),
    dict(
        type='DualEMAHook',
        ema_type='WarmupEMA',
        momentum=1e-4,
        eval_raw=False,  # True: also validate the raw weights
        priority=49),
    dict(type='ReseedHook'),
]
