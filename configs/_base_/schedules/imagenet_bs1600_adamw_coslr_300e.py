# The paper's optimisation: AdamW, weight decay 0.05, cosine decay of the
# learning rate after a 5-epoch linear warm-up, 300 epochs, batch 1600.
# `lr` is the max LR; pair configs give each branch its own. The cosine
# phase has no explicit `end`: it runs to `train_cfg.max_epochs`, so a
# variant only sets that.
warmup_epochs = 5
# NonFiniteOptimWrapper: a NaN or infinite loss or gradient stops training
# before the update (nonfinite='skip': skips the update)
optim_wrapper = dict(
    type='NonFiniteOptimWrapper',
    optimizer=dict(
        type='AdamW', lr=2e-3, weight_decay=0.05, betas=(0.9, 0.999)))
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=1e-3,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        eta_min=1e-5,
        by_epoch=True,
        begin=warmup_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=300, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1600)
