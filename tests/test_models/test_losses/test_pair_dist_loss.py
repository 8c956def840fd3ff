import numpy as np
import pytest
import torch
from scipy.special import softmax
from scipy.stats import pearsonr

from vpl_mm.models import PairDISTLoss


def reference(z_s, z_t, beta, gamma, tau):
    """Huang et al. 2022, eq. 4-8, with scipy's Pearson correlation."""
    y_s, y_t = (
        softmax(z.astype(np.float64) / tau, axis=1) for z in (z_s, z_t))
    inter = np.mean([1 - pearsonr(a, b)[0] for a, b in zip(y_s, y_t)])
    intra = np.mean([1 - pearsonr(a, b)[0] for a, b in zip(y_s.T, y_t.T)])
    return tau**2 * (beta * inter + gamma * intra)


@pytest.mark.parametrize('beta,gamma,tau', [(1, 1, 1), (2, 0.5, 4), (1, 0, 1),
                                            (0, 1, 2)])
def test_matches_the_paper_formula(beta, gamma, tau):
    g = torch.Generator().manual_seed(0)
    z_s, z_t = torch.randn(
        16, 10, generator=g), torch.randn(
            16, 10, generator=g)
    loss = PairDISTLoss(
        beta=beta, gamma=gamma, temperature=tau, loss_weight=0.5)(z_s, z_t)
    assert loss.item() == pytest.approx(
        0.5 * reference(z_s.numpy(), z_t.numpy(), beta, gamma, tau), rel=1e-4)


def test_zero_for_the_same_prediction_and_gradient_for_the_learner():
    z_t = torch.randn(8, 5)
    assert PairDISTLoss()(z_t, z_t).item() == pytest.approx(0, abs=1e-6)
    z_s = torch.randn(8, 5, requires_grad=True)
    PairDISTLoss()(z_s, z_t).backward()
    assert z_s.grad.abs().sum() > 0


def test_refusals():
    with pytest.raises(ValueError, match='no gate'):
        PairDISTLoss()(torch.zeros(2, 3), torch.zeros(2, 3), torch.ones(2))
    with pytest.raises(ValueError, match='`beta` must be finite and >= 0'):
        PairDISTLoss(beta=-1)
    with pytest.raises(ValueError, match='same shape'):
        PairDISTLoss()(torch.zeros(2, 3), torch.zeros(2, 4))
