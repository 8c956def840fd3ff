import math

import pytest
import torch
from mmpretrain.registry import MODELS

import vpl_mm  # noqa: F401
from vpl_mm.models import PairHardLabelLoss


def reference(z, t, weight=None):
    """Mean over i of w_i * -log softmax(z_i)[argmax t_i], as loops."""
    total = 0.
    for i, (zi,
            ti) in enumerate(zip(z.double().tolist(),
                                 t.double().tolist())):
        c = max(range(len(ti)), key=lambda j: ti[j])
        m = max(zi)
        log_norm = m + math.log(sum(math.exp(v - m) for v in zi))
        w = 1. if weight is None else float(weight[i])
        total += w * (log_norm - zi[c])
    return total / len(z)


def test_matches_loop_reference_and_weights():
    g = torch.Generator().manual_seed(3)
    z, t = 3 * torch.randn(2, 7, 5, generator=g)
    w = torch.tensor([1., 0., 1., 1., 0., 0., 1.])
    assert PairHardLabelLoss()(z, t).item() == pytest.approx(
        reference(z, t), rel=1e-6)
    assert PairHardLabelLoss(loss_weight=0.5)(z, t, w).item() == \
        pytest.approx(0.5 * reference(z, t, w), rel=1e-6)


def test_target_gets_no_gradient_learner_does():
    z = torch.randn(4, 3, requires_grad=True)
    t = torch.randn(4, 3, requires_grad=True)
    PairHardLabelLoss()(z, t).backward()
    assert t.grad is None and z.grad.abs().sum() > 0


def test_rejects_bad_weight_and_shapes():
    with pytest.raises(ValueError, match='loss_weight'):
        MODELS.build(dict(type='PairHardLabelLoss', loss_weight=-1))
    with pytest.raises(ValueError, match='same shape'):
        PairHardLabelLoss()(torch.zeros(2, 3), torch.zeros(2, 4))
