# Table 8's one-stage ablation on the demo: both PLM terms all along
# (x = y = 0).
_base_ = ['./vpl_tiny_digits_plm.py']

custom_hooks = [
    dict(_base_.custom_hooks[0], x=0, y=0), *_base_.custom_hooks[1:]
]
