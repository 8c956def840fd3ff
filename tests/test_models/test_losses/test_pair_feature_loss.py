import pytest
import torch

import vpl_mm  # noqa: F401
from vpl_mm.models import PairFeatureLoss, as_feature_map


def reference(cnn_maps, trans_maps, projs):
    """Per pair: 1x1 conv of the tokens, average pooling of the larger grid
    by hand (blocks), per-position standardisation over channels by hand,
    squared error averaged; then the mean over pairs."""
    terms = []
    for f, t, proj in zip(cnn_maps, trans_maps, projs):
        w, b = proj.weight[:, :, 0, 0].double(), proj.bias.double()
        t = torch.einsum('oc,nchw->nohw', w, t.double()) + b.view(1, -1, 1, 1)
        f = f.double()

        def pool(x, side):
            k = x.shape[-1] // side
            return x.reshape(*x.shape[:2], side, k, side, k).mean((3, 5))

        side = min(f.shape[-1], t.shape[-1])
        f, t = pool(f, side), pool(t, side)

        def standardise(x):
            mean = x.mean(1, keepdim=True)
            var = ((x - mean)**2).mean(1, keepdim=True)
            return (x - mean) / (var + 1e-5).sqrt()

        terms.append(((standardise(t) - standardise(f))**2).mean())
    return sum(terms) / len(terms)


def test_matches_hand_reference_with_pooling():
    g = torch.Generator().manual_seed(0)
    loss_fn = PairFeatureLoss(cnn_channels=[6, 5], trans_channels=[4, 4])
    cnn = [
        torch.randn(3, 6, 2, 2, generator=g),
        torch.randn(3, 5, 4, 4, generator=g)
    ]
    trans = [
        torch.randn(3, 4, 4, 4, generator=g),
        torch.randn(3, 4, 4, 4, generator=g)
    ]
    loss = loss_fn(cnn, trans)
    assert loss.item() == pytest.approx(
        reference(cnn, trans, loss_fn.projs).item(), rel=1e-5)
    weighted = PairFeatureLoss([6, 5], [4, 4], loss_weight=2.5)
    weighted.load_state_dict(loss_fn.state_dict())
    assert weighted(cnn, trans).item() == pytest.approx(
        2.5 * loss.item(), rel=1e-6)


def test_tokens_to_map():
    tokens = torch.arange(2 * 5 * 3.).reshape(2, 5, 3)  # cls + 2x2 grid
    fmap = as_feature_map(tokens, extra_tokens=1)
    assert fmap.shape == (2, 3, 2, 2)
    # token 1 + 2 * row + col is position (row, col)
    assert torch.equal(fmap[1, :, 1, 0], tokens[1, 3])
    with pytest.raises(ValueError, match='square grid'):
        as_feature_map(torch.zeros(1, 4, 3), extra_tokens=1)


def test_rejects_unpaired_layers():
    with pytest.raises(ValueError, match='one transformer layer per CNN'):
        PairFeatureLoss(cnn_channels=[4, 4], trans_channels=[4])
