import math

import pytest
import torch
from mmpretrain.registry import MODELS

import vpl_mm  # noqa: F401
from vpl_mm.models import PairKLDivLoss


def reference_loss(z_cnn, z_trans, rho):
    """Eq. 6 as loops: mean over i of KL(softmax(z_trans/rho) || softmax(
    z_cnn/rho)), float64."""

    def softmax(z):
        m = max(z)
        e = [math.exp((v - m)) for v in z]
        s = sum(e)
        return [v / s for v in e]

    total = 0.
    for zc, zt in zip(z_cnn.double().tolist(), z_trans.double().tolist()):
        p = softmax([v / rho for v in zt])
        q = softmax([v / rho for v in zc])
        total += sum(pi * math.log(pi / qi) for pi, qi in zip(p, q) if pi > 0)
    return total / len(z_cnn)


@pytest.mark.parametrize('n,c,rho', [(1, 3, 1.0), (2, 10, 1.0), (8, 5, 4.0),
                                     (5, 100, 0.5)])
def test_matches_loop_reference(n, c, rho):
    g = torch.Generator().manual_seed(n + c)
    z_cnn = 3 * torch.randn(n, c, generator=g)
    z_trans = 3 * torch.randn(n, c, generator=g)
    loss = PairKLDivLoss(temperature=rho)(z_cnn, z_trans)
    assert loss.item() == pytest.approx(
        reference_loss(z_cnn, z_trans, rho), rel=1e-5, abs=1e-7)


def test_direction_and_weight():
    # KL is asymmetric: swapping the arguments must change the value.
    z_cnn = torch.tensor([[4., 0., 0.]])
    z_trans = torch.tensor([[0., 1., 0.]])
    loss = PairKLDivLoss(loss_weight=2.0)
    assert loss(z_cnn, z_trans).item() == pytest.approx(
        2 * reference_loss(z_cnn, z_trans, 1.0), rel=1e-6)
    assert loss(z_cnn, z_trans).item() != pytest.approx(
        loss(z_trans, z_cnn).item(), rel=1e-2)


def test_no_detach_inside():
    z_cnn = torch.randn(4, 5, requires_grad=True)
    z_trans = torch.randn(4, 5, requires_grad=True)
    PairKLDivLoss()(z_cnn, z_trans).backward()
    assert z_cnn.grad.abs().sum() > 0 and z_trans.grad.abs().sum() > 0


def test_fp32_under_autocast_with_large_logits():
    g = torch.Generator().manual_seed(0)
    z_cnn, z_trans = 50 * torch.randn(
        16, 1000, generator=g), 50 * torch.randn(
            16, 1000, generator=g)
    expected = PairKLDivLoss()(z_cnn, z_trans)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = PairKLDivLoss()(z_cnn, z_trans)
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


@pytest.mark.parametrize('rho', [0, -2])
def test_rejects_non_positive_temperature(rho):
    with pytest.raises(ValueError, match='temperature'):
        MODELS.build(dict(type='PairKLDivLoss', temperature=rho))


def test_t_squared_and_per_sample_weights():
    g = torch.Generator().manual_seed(5)
    z_cnn, z_trans = torch.randn(2, 6, 4, generator=g)
    plain = PairKLDivLoss(temperature=3.0)(z_cnn, z_trans)
    scaled = PairKLDivLoss(temperature=3.0, t_squared=True)(z_cnn, z_trans)
    torch.testing.assert_close(scaled, 9.0 * plain)
    weight = torch.tensor([1., 0., 1., 1., 0., 1.])
    weighted = PairKLDivLoss(temperature=3.0)(z_cnn, z_trans, weight)
    # the kept samples' terms, summed, over N = 6
    kept = [i for i in range(6) if weight[i]]
    expected = reference_loss(z_cnn[kept], z_trans[kept], 3.0) * 4 / 6
    assert weighted.item() == pytest.approx(expected, rel=1e-5)
