import math

import pytest
import torch
from mmpretrain.registry import MODELS

import vpl_mm  # noqa: F401
from vpl_mm.models import PairContrastiveLoss


def logsumexp(values):
    m = max(values)
    return m + math.log(sum(math.exp(v - m) for v in values))


def reference_loss(h_cnn, h_trans, tau, normalize=False, labels=None):
    """Eq. 3-5 written out as loops over anchors, in float64; with
    ``labels``, other same-class images are no candidates."""
    a = h_cnn.double().tolist()
    b = h_trans.double().tolist()
    if normalize:
        a = [[x / math.sqrt(sum(y * y for y in v)) for x in v] for v in a]
        b = [[x / math.sqrt(sum(y * y for y in v)) for x in v] for v in b]

    def sim(u, v):
        return sum(x * y for x, y in zip(u, v)) / tau

    n = len(a)
    total = 0.
    for own, other in ((a, b), (b, a)):
        for i in range(n):

            def kept(j):
                return labels is None or labels[j] != labels[i]

            candidates = [
                sim(own[i], other[j]) for j in range(n) if j == i or kept(j)
            ]
            candidates += [
                sim(own[i], own[k]) for k in range(n) if k != i and kept(k)
            ]
            total += sim(own[i], other[i]) - logsumexp(candidates)
    return -total / (2 * n)


@pytest.mark.parametrize('n,d,tau', [(1, 4, 1.0), (2, 3, 0.5), (5, 8, 0.1),
                                     (16, 32, 1.0), (7, 5, 2.0)])
def test_matches_loop_reference(n, d, tau):
    g = torch.Generator().manual_seed(n * 100 + d)
    h_cnn = torch.randn(n, d, generator=g)
    h_trans = torch.randn(n, d, generator=g)
    loss = PairContrastiveLoss(temperature=tau)(h_cnn, h_trans)
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(
        reference_loss(h_cnn, h_trans, tau), rel=1e-5, abs=1e-6)


def test_cosine_option_and_loss_weight():
    g = torch.Generator().manual_seed(1)
    h_cnn, h_trans = torch.randn(
        6, 10, generator=g), torch.randn(
            6, 10, generator=g)
    loss = PairContrastiveLoss(
        temperature=0.2, normalize=True, loss_weight=0.3)(h_cnn, h_trans)
    expected = 0.3 * reference_loss(h_cnn, h_trans, 0.2, normalize=True)
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_single_pair_is_zero_and_has_gradient():
    h_cnn = torch.randn(1, 4, requires_grad=True)
    h_trans = torch.randn(1, 4, requires_grad=True)
    loss = PairContrastiveLoss()(h_cnn, h_trans)
    loss.backward()
    assert loss.item() == 0.
    assert torch.isfinite(h_cnn.grad).all() and torch.isfinite(
        h_trans.grad).all()


def test_large_norm_embeddings_stay_finite_and_correct():
    g = torch.Generator().manual_seed(2)
    h_cnn = 10 * torch.randn(8, 768, generator=g)
    h_trans = 10 * torch.randn(8, 768, generator=g)
    h_cnn.requires_grad_()
    loss = PairContrastiveLoss(temperature=0.07)(h_cnn, h_trans)
    loss.backward()
    expected = reference_loss(h_cnn.detach(), h_trans, 0.07)
    assert math.isfinite(loss.item()) and expected > 100
    assert loss.item() == pytest.approx(expected, rel=1e-4)
    assert torch.isfinite(h_cnn.grad).all()


def test_fp32_under_autocast():
    g = torch.Generator().manual_seed(3)
    h_cnn = 10 * torch.randn(8, 768, generator=g)
    h_trans = 10 * torch.randn(8, 768, generator=g)
    loss_fn = PairContrastiveLoss(temperature=0.07)
    expected = loss_fn(h_cnn, h_trans)
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = loss_fn(h_cnn, h_trans)
        # Without the fp32 guard, the same matmuls run in bf16:
        bf16_logits = h_cnn @ h_trans.t()
    assert bf16_logits.dtype == torch.bfloat16
    assert loss.dtype == torch.float32
    assert loss.item() == pytest.approx(expected.item(), rel=1e-6)


def test_gradient_reaches_both_inputs():
    # The loss itself stops no gradient (the head decides).
    h_cnn = torch.randn(4, 6, requires_grad=True)
    h_trans = torch.randn(4, 6, requires_grad=True)
    PairContrastiveLoss()(h_cnn, h_trans).backward()
    assert h_cnn.grad.abs().sum() > 0 and h_trans.grad.abs().sum() > 0


@pytest.mark.parametrize('tau', [0, -1.0])
def test_rejects_non_positive_temperature(tau):
    with pytest.raises(ValueError, match='temperature'):
        MODELS.build(dict(type='PairContrastiveLoss', temperature=tau))


def test_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match='same shape'):
        PairContrastiveLoss()(torch.randn(4, 6), torch.randn(4, 5))


@pytest.mark.parametrize('normalize', [False, True])
def test_exclude_same_class_matches_loop_reference(normalize):
    g = torch.Generator().manual_seed(3)
    h_cnn, h_trans = torch.randn(2, 9, 6, generator=g)
    labels = torch.tensor([0, 1, 0, 2, 1, 0, 3, 2, 2])
    loss_fn = PairContrastiveLoss(
        temperature=0.5, normalize=normalize, exclude_same_class=True)
    loss = loss_fn(h_cnn, h_trans, labels)
    assert loss.item() == pytest.approx(
        reference_loss(h_cnn, h_trans, 0.5, normalize, labels.tolist()),
        rel=1e-5,
        abs=1e-6)
    # it does remove candidates: the plain loss differs
    assert loss.item() != pytest.approx(
        reference_loss(h_cnn, h_trans, 0.5, normalize), rel=1e-3)
    # without labels it is the plain eq. 3-5
    assert loss_fn(h_cnn, h_trans).item() == pytest.approx(
        reference_loss(h_cnn, h_trans, 0.5, normalize), rel=1e-5)


@pytest.mark.parametrize('key,value,error',
                         [('temperature', 'abc', TypeError),
                          ('loss_weight', 'abc', TypeError),
                          ('loss_weight', -0.1, ValueError),
                          ('loss_weight', float('nan'), ValueError)])
@pytest.mark.parametrize('loss_type', ['PairContrastiveLoss', 'PairKLDivLoss'])
def test_rejects_bad_option_values(loss_type, key, value, error):
    with pytest.raises(error, match=f'{loss_type}: `{key}`'):
        MODELS.build({'type': loss_type, key: value})
