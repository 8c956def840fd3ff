import pytest
import torch
from mmpretrain.registry import MODELS

import vpl_mm  # noqa: F401


def timm_decay(step, decay=0.9999, gamma=1.0, power=2 / 3, min_decay=0.0):
    """timm ModelEmaV3.get_decay with use_warmup=True (update_after_step=0,
    its defaults warmup_gamma=1, min_decay=0), for its update number
    ``step + 1`` (timm counts from the first update, which copies)."""
    d = 1 - (1 + step / gamma)**-power
    return max(min(d, decay), min_decay)


@pytest.mark.parametrize('steps', [1, 2, 10, 100, 1000, 10**5, 10**8])
def test_decay_schedule(steps):
    ema = MODELS.build(
        dict(type='WarmupEMA', model=torch.nn.Linear(2, 2), momentum=1e-4))
    assert ema.decay(steps) == pytest.approx(timm_decay(steps))
    assert ema.decay(steps) <= 0.9999


def test_known_values():
    ema = MODELS.build(dict(type='WarmupEMA', model=torch.nn.Linear(1, 1)))
    assert ema.decay(1) == pytest.approx(1 - 2**(-2 / 3))  # 0.370
    assert ema.decay(7) == pytest.approx(0.75)  # 1 - 8 ** (-2/3)
    assert ema.decay(10**9) == pytest.approx(0.9999)


def test_averaging_follows_the_decay():
    model = torch.nn.Linear(1, 1, bias=False)
    ema = MODELS.build(dict(type='WarmupEMA', model=model, momentum=0.5))
    values = [1.0, 3.0, 7.0]
    expected = None
    for t, v in enumerate(values):
        model.weight.data.fill_(v)
        ema.update_parameters(model)
        if t == 0:
            expected = v  # the first update copies
        else:
            d = min(1 - (1 + t)**(-2 / 3), 0.5)
            expected = d * expected + (1 - d) * v
    assert ema.module.weight.item() == pytest.approx(expected)
