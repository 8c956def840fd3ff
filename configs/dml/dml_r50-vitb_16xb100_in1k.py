# Table 3: Deep Mutual Learning on the same pair and recipe as the headline:
# each branch is updated in turn against the other's fresh prediction (KL,
# temperature 1) plus its own cross-entropy; no PLM, no stages.
_base_ = ['../vpl_r50_vitb_in1k.py']
model = dict(
    _delete_=True,
    type='DMLClassifier',
    cnn={{_base_.model.cnn}},
    trans={{_base_.model.trans}},
    kl_loss=dict(type='PairKLDivLoss', temperature=1.0),
    pred_branch='trans')
# DMLClassifier.train_step updates the branches in turn; under DDP each
# branch is wrapped on its own.
model_wrapper_cfg = dict(
    type='MMSeparateDistributedDataParallel', broadcast_buffers=False)
custom_hooks = _base_.vpl_hooks
