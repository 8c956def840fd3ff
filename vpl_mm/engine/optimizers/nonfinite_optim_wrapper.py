import logging

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmpretrain.registry import OPTIM_WRAPPERS

from vpl_mm.utils.messages import iteration_text

NONFINITE = ('stop', 'skip')


@OPTIM_WRAPPERS.register_module()
class NonFiniteOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that owns the non-finite policy of a training run:
    it alone decides whether an update with a NaN or infinite loss or
    gradient stops training or is skipped. Our configs use it by default
    (``configs/_base_/default_runtime.py``); our models only name the
    non-finite loss terms in a warning (``TwoBranchClassifier.parse_losses``).

    The decision is taken before the optimizer steps, on the gradients: a
    non-finite loss gives non-finite gradients, and under DDP the gradients
    are averaged over the ranks first, so a non-finite loss on one rank
    makes every rank stop, or skip, the same update, with no extra
    communication.

    ``nonfinite='stop'`` (default): ``FloatingPointError`` naming the
    iteration and whether this rank's loss or only its gradients were not
    finite; no weight, moment or step count has changed.

    ``nonfinite='skip'``: as the loss scaler of MMEngine's fp16
    ``AmpOptimWrapper`` does, the optimizer does not step (no weight,
    moment or step-count change), the gradients are cleared and a warning
    names the iteration.

    With MMEngine's stock ``OptimWrapper`` instead, a non-finite loss is
    applied (NaN weights): the model's warning is then the only sign.

    Args:
        nonfinite (str): ``'stop'`` or ``'skip'``. Defaults to ``'stop'``.
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`.

    Attributes:
        skipped (int): Updates skipped so far in this process.

    Examples:
        >>> optim_wrapper = dict(type='NonFiniteOptimWrapper',
        ...                      nonfinite='skip',
        ...                      optimizer=dict(type='AdamW', lr=1e-3))
    """

    def __init__(self, nonfinite: str = 'stop', **kwargs) -> None:
        if nonfinite not in NONFINITE:
            raise ValueError(f'{type(self).__name__}: `nonfinite` must be '
                             f'one of {NONFINITE}, got {nonfinite!r}')
        super().__init__(**kwargs)
        self.nonfinite = nonfinite
        self.skipped = 0
        self._finite_loss = True

    def backward(self, loss: torch.Tensor, **kwargs) -> None:
        """As ``OptimWrapper.backward``; notes whether this rank's loss was
        finite, for :meth:`step`'s message."""
        self._finite_loss = bool(torch.isfinite(loss.detach()).all())
        super().backward(loss, **kwargs)

    def step(self, **kwargs) -> None:
        """Step, unless a gradient is not finite: then skip or raise.

        Raises:
            FloatingPointError: with ``nonfinite='stop'``, naming the
                iteration; no parameter has changed.
        """
        grads = [
            p.grad for group in self.optimizer.param_groups
            for p in group['params'] if p.grad is not None
        ]
        if grads and not torch.isfinite(
                torch.stack(torch._foreach_norm(grads))).all():
            what = ('gradients' if self._finite_loss else
                    'loss (the warning above names its terms)')
            message = (f'{type(self).__name__}: non-finite {what}'
                       f'{iteration_text()}')
            if self.nonfinite == 'stop':
                raise FloatingPointError(
                    message + '. Lower the learning rate or the loss '
                    'weights, or check the data; resume from the last '
                    "checkpoint (or set optim_wrapper.nonfinite='skip').")
            self.skipped += 1
            print_log(
                f'{message}: update skipped ({self.skipped} skipped so far)',
                logger='current',
                level=logging.WARNING)
            self.zero_grad()
            return
        super().step(**kwargs)
