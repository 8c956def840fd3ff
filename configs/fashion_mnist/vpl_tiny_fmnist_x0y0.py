# Table 8's one-stage ablation: both PLM terms all along (x = y = 0).
_base_ = ['./vpl_tiny_fmnist_gate.py']

custom_hooks = [
    dict(_base_.custom_hooks[0], x=0, y=0), *_base_.custom_hooks[1:]
]
