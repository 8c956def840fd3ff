from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from ._utils import check_pair, check_temperature, check_weight, fp32


def _pearson_rows(a: torch.Tensor,
                  b: torch.Tensor,
                  eps: float = 1e-8) -> torch.Tensor:
    """Pearson's correlation of each row of ``a`` with the same row of
    ``b``."""
    a, b = a - a.mean(1, keepdim=True), b - b.mean(1, keepdim=True)
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


@MODELS.register_module()
class PairDISTLoss(nn.Module):
    r"""DIST: distillation by the correlation of predictions (beyond the
    paper).

    With :math:`Y = \mathrm{softmax}(z/\tau)` row-wise for the learner
    (:math:`Y^s`) and the target (:math:`Y^t`), both (N, C), and
    :math:`\rho` Pearson's correlation,

    .. math::
        L_{DIST} = \tau^2 \Big(\beta\,\frac{1}{N}\sum_{i}
        \big(1 - \rho(Y^s_{i,:}, Y^t_{i,:})\big) + \gamma\,\frac{1}{C}
        \sum_{c}\big(1 - \rho(Y^s_{:,c}, Y^t_{:,c})\big)\Big):

    the inter-class relation of each sample's prediction and the
    intra-class relation of each class's scores over the batch (Huang et
    al., "Knowledge Distillation from A Stronger Teacher", NeurIPS 2022,
    eq. 4-8; hunto/DIST_KD ``dist_kd.py``). Matching correlations rather
    than probabilities (KL) leaves the learner free in scale and shift, which
    the authors found robust where the teacher is much stronger. The target
    carries no gradient of its own here (:class:`PairTerm` detaches it).
    Same call as :class:`PairKLDivLoss` (``logits``, ``target_logits``), but
    no per-sample weight (no gate): the intra-class term is over the batch.
    Computed in fp32.

    Args:
        beta (float): Weight of the inter-class term. Defaults to 1.0.
        gamma (float): Weight of the intra-class term. Defaults to 1.0.
        temperature (float): :math:`\tau`, > 0. Defaults to 1.0 (the
            paper's ImageNet setting).
        loss_weight (float): Weight of the loss, >= 0. Defaults to 1.0.

    Example:
        >>> import torch
        >>> z = torch.randn(4, 10)
        >>> round(float(PairDISTLoss()(z, z)), 3)  # the same prediction
        0.0
    """

    def __init__(self,
                 beta: float = 1.0,
                 gamma: float = 1.0,
                 temperature: float = 1.0,
                 loss_weight: float = 1.0) -> None:
        super().__init__()
        owner = type(self).__name__
        self.beta = check_weight(owner, beta, 'beta')
        self.gamma = check_weight(owner, gamma, 'gamma')
        self.temperature = check_temperature(owner, temperature)
        self.loss_weight = check_weight(owner, loss_weight)

    def forward(self,
                logits: torch.Tensor,
                target_logits: torch.Tensor,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute :math:`L_{DIST}`.

        Args:
            logits (Tensor): The learner's logits, (N, C).
            target_logits (Tensor): The target's logits, (N, C).
            weight (None): Not supported (see above).

        Returns:
            Tensor: The weighted scalar loss, fp32.
        """
        owner = type(self).__name__
        if weight is not None:
            raise ValueError(f'{owner}: no gate: the intra-class relation is '
                             'over the whole batch')
        check_pair(owner, '(N, C) logits', logits, target_logits)
        with fp32(logits.device):
            y_s = F.softmax(logits.float() / self.temperature, dim=1)
            y_t = F.softmax(target_logits.float() / self.temperature, dim=1)
            inter = (1 - _pearson_rows(y_s, y_t)).mean()
            intra = (1 - _pearson_rows(y_s.t(), y_t.t())).mean()
            loss = self.temperature**2 * (
                self.beta * inter + self.gamma * intra)
        return self.loss_weight * loss
