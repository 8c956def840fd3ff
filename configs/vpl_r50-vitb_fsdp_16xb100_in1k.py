# The headline recipe with FSDP (MMEngine's FlexibleRunner) instead of DDP:
# parameters, gradients and optimizer states sharded over the GPUs, each
# block of at least 1e7 parameters its own FSDP unit. For pairs that do not
# fit one GPU; for R50 + ViT-B, DDP (vpl_r50_vitb_in1k.py) is simpler.
#   tools/dist_train.sh configs/vpl_r50-vitb_fsdp_16xb100_in1k.py 16
_base_ = ['./vpl_r50_vitb_in1k.py']

runner_type = 'FlexibleRunner'
strategy = dict(
    type='PairFSDPStrategy',
    model_wrapper=dict(
        auto_wrap_policy=dict(
            type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
            min_num_params=int(1e7))))
# No EMA: MMEngine's EMA copies the whole model on every rank, which FSDP's
# sharding is there to avoid (SafeEMAHook refuses an FSDP model).
custom_hooks = [
    dict(type='StageSwitchHook', x=20, y=20),
    dict(type='ReseedHook'),
]
