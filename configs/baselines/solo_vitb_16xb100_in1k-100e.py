# As solo_vitb_16xb100_in1k.py, 100 epochs (Table 2, 100-epoch rows).
_base_ = ['./solo_vitb_16xb100_in1k.py']
train_cfg = dict(max_epochs=100)
