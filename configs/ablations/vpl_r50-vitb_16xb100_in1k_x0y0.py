# Table 8: multi-stage proportions x = y = 0 (the headline uses 20); x = y = 0
# is one-stage training, both terms all along
_base_ = ['../vpl_r50_vitb_in1k.py']
custom_hooks = [dict(type='StageSwitchHook', x=0, y=0), *_base_.vpl_hooks]
