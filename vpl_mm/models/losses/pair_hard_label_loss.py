from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from ._utils import check_pair, check_weight, fp32, weighted_mean


@MODELS.register_module()
class PairHardLabelLoss(nn.Module):
    r"""Cross-entropy against the partner's top-1 class (beyond the paper).

    .. math::
        L_{hard} = \frac{1}{N}\sum_{i=1}^N w_i\,
        CE\big(z_i, \arg\max_c t_{i,c}\big)

    with ``logits`` = :math:`z` (the learner's) and ``target_logits`` =
    :math:`t` (the teacher's). DeiT's hard-label distillation (Touvron et
    al. 2021, sec. 5.1, eq. 3; facebookresearch/deit ``losses.py``,
    ``distillation_type == 'hard'``): the maintainers found it ahead of soft
    distillation in every setting they tuned. DeiT gives it its own
    distillation token; here it acts on the branch's own logits, as the
    pair has no extra token. The target carries no gradient (argmax). Takes
    the place of :class:`PairKLDivLoss` in :class:`PairLearningHead`'s
    ``kd_loss`` (same call).

    Args:
        loss_weight (float): Weight of the loss, >= 0. Defaults to 1.0.

    Example:
        >>> import torch
        >>> z = torch.tensor([[0., 0.], [0., 0.]])
        >>> t = torch.tensor([[1., 0.], [0., 1.]])
        >>> round(float(PairHardLabelLoss()(z, t)), 4)  # log 2
        0.6931
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = check_weight(type(self).__name__, loss_weight)

    def forward(self,
                logits: torch.Tensor,
                target_logits: torch.Tensor,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute :math:`L_{hard}`.

        Args:
            logits (Tensor): The learner's logits, (N, C).
            target_logits (Tensor): The teacher's logits, (N, C).
            weight (Tensor, optional): Per-sample weights (N, ); the sum is
                still divided by N. Defaults to None (all 1).

        Returns:
            Tensor: The weighted scalar loss, fp32.
        """
        check_pair(type(self).__name__, '(N, C) logits', logits, target_logits)
        with fp32(logits.device):
            per_sample = F.cross_entropy(
                logits.float(), target_logits.argmax(1), reduction='none')
            loss = weighted_mean(per_sample, weight)
        return self.loss_weight * loss
