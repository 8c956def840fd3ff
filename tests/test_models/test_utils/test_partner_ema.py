import copy

import pytest
import torch
from mmpretrain.registry import MODELS
from tiny_models import TINY_CNN

import vpl_mm  # noqa: F401
from vpl_mm.models.utils import PartnerEMA
from vpl_mm.models.utils.branches import logits_layer


def branch():
    torch.manual_seed(0)
    return MODELS.build(copy.deepcopy(TINY_CNN))


def perturb(model):
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p))
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.add_(1.0)


def test_average_follows_the_ema_formula_with_buffers():
    live = branch()
    ema = PartnerEMA(live,
                     dict(type='ExponentialMovingAverage', momentum=0.25))
    ref = {k: v.clone() for k, v in live.state_dict().items()}
    ema.update(live)  # the first update copies
    for _ in range(3):
        perturb(live)
        ema.update(live)
        for k, v in live.state_dict().items():
            if v.dtype.is_floating_point:
                ref[k] = 0.75 * ref[k] + 0.25 * v
    state = ema.average.module.state_dict()
    for k, v in ref.items():
        if v.dtype.is_floating_point:
            torch.testing.assert_close(state[k], v, rtol=1e-6, atol=1e-6)
    # BatchNorm's running mean is averaged too (keep buffers)
    assert any('running_mean' in k for k in ref)
    assert int(ema.average.steps) == 4


def test_copy_is_frozen_eval_and_out_of_parameters():
    live = branch()
    ema = PartnerEMA(live, dict(type='ExponentialMovingAverage'))
    assert list(ema.parameters()) == []
    assert all(not m.training for m in ema.modules())
    ema.train()
    assert all(not m.training for m in ema.modules())
    keys = ema.state_dict().keys()
    assert 'average.steps' in keys
    assert 'average.module.head.fc.weight' in keys


def test_forward_gives_embed_and_logits_of_the_average():
    live = branch()
    ema = PartnerEMA(live, dict(type='ExponentialMovingAverage'))
    ema.update(live)
    x = torch.randn(2, 3, 32, 32)
    out = ema(x, logits_layer('t', 'cnn', live))
    live.eval()
    with torch.no_grad():
        feats = live.extract_feat(x)
        torch.testing.assert_close(out['logits'], live.head(feats))
    assert out['embed'].shape == (2, 64) and out['layers'] is None


def test_update_buffers_is_required():
    with pytest.raises(ValueError, match='update_buffers=True'):
        PartnerEMA(branch(), dict(update_buffers=False))
