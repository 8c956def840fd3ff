from typing import Optional

import torch
import torch.nn as nn
from mmengine.model import ExponentialMovingAverage
from mmpretrain.registry import MODELS


@MODELS.register_module()
class WarmupEMA(ExponentialMovingAverage):
    r"""EMA whose decay grows with the iteration, as timm's ``ModelEmaV3``
    with ``use_warmup=True`` at its default warm-up speed (1) and lower
    bound (0).

    After ``t`` updates the weights are averaged with decay

    .. math::
        d_t = \min\big(1 - (1 + t)^{-p},\ 1 - \text{momentum}\big)

    so early EMA weights follow the fast-changing model closely and the
    average lengthens as training settles (the paper: "the decay rate changes
    with the number of training iterations"). The first update copies the
    weights (``t = 0``). Use it through an EMA hook (ours is
    :class:`SafeEMAHook`, on MMPretrain's ``EMAHook``):
    ``dict(type='SafeEMAHook', ema_type='WarmupEMA', momentum=1e-4)``.

    MMEngine's ``MomentumAnnealingEMA`` is the same idea with another curve:
    its decay is :math:`\min(1 - \text{momentum}, t / (\gamma + t))`,
    i.e. :math:`p = 1` with :math:`\gamma = 100` by default; timm's (and
    ours) rises as :math:`1 - (1 + t)^{-2/3}`, faster at first: 0.9 after
    30 updates instead of 900. It cannot express the power :math:`p`, hence
    this class.

    Args:
        model (nn.Module): The model to average.
        momentum (float): ``1 -`` the final decay (MMEngine's convention).
            Defaults to 1e-4 (decay 0.9999).
        power (float): Warm-up power :math:`p`. Defaults to 2/3.
        interval (int): Update every ``interval`` iterations. Defaults to 1.
        device (torch.device, optional): Where the average lives.
        update_buffers (bool): Average the buffers too. Defaults to False.
    """

    def __init__(self,
                 model: nn.Module,
                 momentum: float = 1e-4,
                 power: float = 2 / 3,
                 interval: int = 1,
                 device: Optional[torch.device] = None,
                 update_buffers: bool = False) -> None:
        super().__init__(model, momentum, interval, device, update_buffers)
        self.power = power

    def decay(self, steps: int) -> float:
        """The decay :math:`d_t` used at update number ``steps``."""
        return min(1 - (1 + steps)**-self.power, 1 - self.momentum)

    def avg_func(self, averaged_param: torch.Tensor,
                 source_param: torch.Tensor, steps: int) -> None:
        averaged_param.lerp_(source_param, 1 - self.decay(steps))
