from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from ._utils import (check_pair, check_temperature, check_weight, fp32,
                     weighted_mean)


@MODELS.register_module()
class PairKLDivLoss(nn.Module):
    r"""KL divergence between the two branches' predictions (eq. 6).

    .. math::
        L_{KL} = \frac{1}{N}\sum_{i=1}^N
        KL\big(g(z_i^{trans}/\rho)\,\|\,g(z_i^{cnn}/\rho)\big)

    with ``logits`` = :math:`z^{cnn}` and ``target_logits`` =
    :math:`z^{trans}`: ``target_logits`` give the target distribution
    :math:`p` of :math:`KL(p \| q)` (:class:`PairLearningHead` swaps the two
    for a CNN teacher). Exactly eq. 6: no :math:`\rho^2` factor. The loss
    detaches nothing itself (see :class:`PairLearningHead`) and is computed in
    fp32, also under autocast.

    ``t_squared=True`` multiplies the loss by :math:`\rho^2`, as
    distillation does (Hinton et al. 2015, sec. 2: the soft targets'
    gradients scale as :math:`1/\rho^2`, so the factor keeps the term's
    weight independent of :math:`\rho`); not in eq. 6.

    Args:
        temperature (float): :math:`\rho` of eq. 6, > 0. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        t_squared (bool): Multiply by :math:`\rho^2`. Defaults to False
            (eq. 6).

    Example:
        >>> import torch
        >>> z = torch.randn(4, 10)
        >>> float(PairKLDivLoss()(z, z))
        0.0
    """

    def __init__(self,
                 temperature: float = 1.0,
                 loss_weight: float = 1.0,
                 t_squared: bool = False) -> None:
        super().__init__()
        self.temperature = check_temperature(type(self).__name__, temperature)
        self.loss_weight = check_weight(type(self).__name__, loss_weight)
        self.t_squared = t_squared

    def forward(self,
                logits: torch.Tensor,
                target_logits: torch.Tensor,
                weight: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute :math:`L_{KL}` of eq. 6.

        Args:
            logits (Tensor): The learner's logits (:math:`z^{cnn}` in eq. 6),
                shape (N, C).
            target_logits (Tensor): The target's logits (:math:`z^{trans}` in
                eq. 6), shape (N, C).
            weight (Tensor, optional): Per-sample weights (N, ); the sum of
                the weighted terms is still divided by N. Defaults to None
                (all 1, eq. 6).

        Returns:
            Tensor: The weighted scalar loss, fp32.
        """
        check_pair(type(self).__name__, '(N, C) logits', logits, target_logits)
        with fp32(logits.device):
            log_q = F.log_softmax(logits.float() / self.temperature, dim=1)
            log_p = F.log_softmax(
                target_logits.float() / self.temperature, dim=1)
            per_sample = F.kl_div(
                log_q, log_p, reduction='none', log_target=True).sum(1)
            loss = weighted_mean(per_sample, weight)
            if self.t_squared:
                loss = loss * self.temperature**2
        return self.loss_weight * loss
