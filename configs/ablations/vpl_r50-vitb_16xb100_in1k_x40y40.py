# Table 8: multi-stage proportions x = y = 40 (the headline uses 20)
_base_ = ['../vpl_r50_vitb_in1k.py']
custom_hooks = [dict(type='StageSwitchHook', x=40, y=40), *_base_.vpl_hooks]
