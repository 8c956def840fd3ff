from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from ._utils import check_weight, fp32


def as_feature_map(x: torch.Tensor, extra_tokens: int = 0) -> torch.Tensor:
    """A layer's output as an (N, C, H, W) map.

    A 4-D tensor is taken as it is (a CNN stage); a 3-D one as transformer
    tokens (N, extra + H * W, C) on a square grid, its first
    ``extra_tokens`` (e.g. the class token) dropped.

    Example:
        >>> import torch
        >>> as_feature_map(torch.zeros(2, 1 + 16, 8), extra_tokens=1).shape
        torch.Size([2, 8, 4, 4])
    """
    if x.dim() == 4:
        return x
    if x.dim() != 3:
        raise ValueError(
            'PairFeatureLoss: a layer output must be a (N, C, '
            f'H, W) map or (N, L, C) tokens, got {tuple(x.shape)}')
    tokens = x[:, extra_tokens:]
    side = int(round(tokens.size(1)**0.5))
    if side * side != tokens.size(1):
        raise ValueError(
            f'PairFeatureLoss: {tokens.size(1)} tokens (after {extra_tokens} '
            'extra) are not a square grid')
    return tokens.transpose(1, 2).reshape(x.size(0), -1, side, side)


@MODELS.register_module()
class PairFeatureLoss(nn.Module):
    r"""Feature guidance from the CNN to the transformer (beyond the paper).

    For each pair k of layers (a CNN stage's map :math:`F_k` and a
    transformer layer's tokens :math:`T_k` as a map), a 1x1 convolution
    :math:`P_k` maps the tokens to the CNN's channels, the larger grid is
    average-pooled to the smaller one, both are normalised over channels at
    each position (a LayerNorm without affine parameters), and

    .. math::
        L_{feat} = \frac{1}{K}\sum_k \mathrm{MSE}\big(\mathrm{LN}(P_k T_k),
        \mathrm{LN}(F_k)\big).

    From two published CNN-to-transformer transfers at small scale: the
    1x1 projection of the transformer's tokens to the CNN's maps at several
    blocks (locality guidance, Li et al., ECCV 2022; lkhl/tiny-transformers
    ``pycls/models/distill.py``) and the MSE after LayerNorm (Bootstrapping
    ViTs, Zhang et al., CVPR 2022; zhfeing/Bootstrapping-ViTs-pytorch).
    The loss detaches nothing: :class:`PairLearningHead` detaches the CNN's
    maps, so the gradient reaches only the transformer (and the
    projections). Computed in fp32.

    Args:
        cnn_channels (Sequence[int]): Channels of each CNN map.
        trans_channels (Sequence[int]): Channels of each transformer layer,
            in the same order.
        loss_weight (float): Weight of the loss, >= 0. Defaults to 1.0.

    Example:
        >>> import torch
        >>> loss = PairFeatureLoss(cnn_channels=[16], trans_channels=[8])
        >>> cnn, trans = [torch.randn(2, 16, 4, 4)], [torch.randn(2, 8, 4, 4)]
        >>> loss(cnn, trans).shape
        torch.Size([])
    """

    def __init__(self,
                 cnn_channels: Sequence[int],
                 trans_channels: Sequence[int],
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        if len(cnn_channels) != len(trans_channels) or not cnn_channels:
            raise ValueError(
                'PairFeatureLoss: give one transformer layer per CNN map, got '
                f'{len(cnn_channels)} CNN and {len(trans_channels)} '
                'transformer layers')
        self.loss_weight = check_weight(type(self).__name__, loss_weight)
        self.projs = nn.ModuleList(
            nn.Conv2d(t, c, kernel_size=1)
            for c, t in zip(cnn_channels, trans_channels))

    def forward(self, cnn_feats: List[torch.Tensor],
                trans_feats: List[torch.Tensor]) -> torch.Tensor:
        """Compute :math:`L_{feat}`.

        Args:
            cnn_feats (list[Tensor]): The CNN's maps, each (N, C_k, H, W).
            trans_feats (list[Tensor]): The transformer's maps (see
                :func:`as_feature_map`), each (N, D_k, h, w).

        Returns:
            Tensor: The weighted scalar loss, fp32.
        """
        if not len(cnn_feats) == len(trans_feats) == len(self.projs):
            raise ValueError(
                f'PairFeatureLoss: built for {len(self.projs)} layer pairs, '
                f'got {len(cnn_feats)} CNN and {len(trans_feats)} '
                'transformer maps')
        with fp32(cnn_feats[0].device):
            terms = []
            for proj, f, t in zip(self.projs, cnn_feats, trans_feats):
                f, t = f.float(), proj(t.float())
                size = tuple(map(min, f.shape[-2:], t.shape[-2:]))
                f, t = (
                    F.adaptive_avg_pool2d(x, size)
                    if tuple(x.shape[-2:]) != size else x for x in (f, t))
                f, t = (
                    F.layer_norm(x.permute(0, 2, 3, 1), x.shape[1:2])
                    for x in (f, t))
                terms.append(F.mse_loss(t, f))
            loss = torch.stack(terms).mean()
        return self.loss_weight * loss
