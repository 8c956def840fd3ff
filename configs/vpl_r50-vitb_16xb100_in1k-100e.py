# As vpl_r50_vitb_in1k.py, 100 epochs (Table 2, "VPL" rows, 100 epochs).
_base_ = ['./vpl_r50_vitb_in1k.py']
train_cfg = dict(max_epochs=100)
