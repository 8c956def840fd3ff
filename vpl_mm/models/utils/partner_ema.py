"""An exponential moving average of a branch, as a source of PLM targets."""
from typing import Dict, Optional

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from .branches import embed_and_logits
from .recorder import LayerRecorder


def _as_buffers(module: nn.Module) -> None:
    """Turn every parameter of ``module`` into a buffer of the same name
    (same tensor): saved in ``state_dict`` as before, but never trained,
    never in an optimizer's parameter groups whatever its constructor,
    never synchronised by DDP."""
    for sub in module.modules():
        for name, param in list(sub._parameters.items()):
            del sub._parameters[name]
            sub.register_buffer(name,
                                None if param is None else param.detach())


class PartnerEMA(nn.Module):
    """An exponential moving average of a branch: the "mean teacher" source
    of a PLM term (Tarvainen & Valpola, NeurIPS 2017; PCL, Wu & Gong, AAAI
    2021), in place of the live partner.

    Built with MMEngine's averaged models (``ExponentialMovingAverage``,
    ``MomentumAnnealingEMA``, or ours, :class:`WarmupEMA`) with
    ``update_buffers=True``: BatchNorm's running statistics are averaged
    too. The copy is always in eval mode (its BatchNorm uses the averaged
    statistics, dropout is off) and holds its weights as buffers: in the
    checkpoint (so that a resume continues the same average), out of every
    optimizer and of DDP's gradient synchronisation, and out of exported
    branches (they are the pair's ``cnn.`` / ``trans.`` weights).
    :class:`PairLearningHead` calls :meth:`update` at the start of each
    training forward, with the weights the last optimizer step left: once
    per optimizer step, the first copying the branch as it is.

    Args:
        branch (nn.Module): The branch to average (copied).
        ema (dict): Config of the averaged model, e.g.
            ``dict(type='ExponentialMovingAverage', momentum=0.005)``
            (MMEngine's convention: the new weights' share per update).
    """

    def __init__(self, branch: nn.Module, ema: dict) -> None:
        super().__init__()
        ema = dict(ema)
        if ema.pop('update_buffers', True) is not True:
            raise ValueError('PartnerEMA: the average includes the buffers '
                             '(BatchNorm statistics): update_buffers=True')
        ema.setdefault('type', 'ExponentialMovingAverage')
        self.average = MODELS.build(
            dict(ema, model=branch, update_buffers=True))
        _as_buffers(self.average.module)
        self.average.avg_parameters = self.average.module.state_dict()
        self.train(False)

    def train(self, mode: bool = True) -> 'PartnerEMA':
        """The copy stays in eval mode."""
        return super().train(False)

    @torch.no_grad()
    def update(self, branch: nn.Module) -> None:
        """Average in ``branch``'s current weights and buffers."""
        self.average.update_parameters(branch)

    @torch.no_grad()
    def forward(self,
                inputs: torch.Tensor,
                fc: str,
                recorder: Optional[LayerRecorder] = None) -> Dict:
        """The average's ``embed``, ``logits`` and the outputs of
        ``recorder``'s layers (``layers``, None without a recorder) for
        ``inputs``; ``fc`` is the branch's logits layer."""
        model = self.average.module
        if recorder is None:
            h, z = embed_and_logits(model, model.extract_feat(inputs), fc)
            return dict(embed=h, logits=z, layers=None)
        with recorder.record(model) as layers:
            h, z = embed_and_logits(model, model.extract_feat(inputs), fc)
        return dict(embed=h, logits=z, layers=layers)
