import torch
from mmpretrain.registry import MODELS, OPTIM_WRAPPERS

import vpl_mm  # noqa: F401


def test_bf16_forward_fp32_plm_losses(pair_cfg, batch):
    model = MODELS.build(pair_cfg)
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='CPUAmpOptimWrapper',
            optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3)))
    before = [p.detach().clone() for p in model.parameters()]
    with wrapper.optim_context(model):
        logits = model(batch[0], mode='tensor')
        losses = model(*batch, mode='loss')
    assert logits['trans'].dtype == torch.bfloat16
    assert losses['loss_cl'].dtype == torch.float32
    assert losses['loss_kl'].dtype == torch.float32
    wrapper.update_params(sum(losses.values()))
    after = list(model.parameters())
    assert all(torch.isfinite(p).all() for p in after)
    assert any(not torch.equal(a, b) for a, b in zip(before, after))
