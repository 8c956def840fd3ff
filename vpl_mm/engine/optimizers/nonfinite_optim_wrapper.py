import logging
from contextlib import contextmanager

import torch
from mmengine.logging import print_log
from mmengine.optim import OptimWrapper
from mmpretrain.registry import OPTIM_WRAPPERS

from vpl_mm.utils.messages import iteration_text
from vpl_mm.utils.model import bare_model

NONFINITE = ('stop', 'skip')


@OPTIM_WRAPPERS.register_module()
class NonFiniteOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that owns the non-finite policy of a training run.

    ``nonfinite='stop'`` (default): a NaN or infinite loss term stops
    training before the update (the model raises ``FloatingPointError``
    naming the term and the iteration), and so do non-finite gradients
    from a finite loss (raised here, before the optimizer steps).

    ``nonfinite='skip'``: as the loss scaler of MMEngine's fp16
    ``AmpOptimWrapper`` does, when any gradient holds a NaN or an infinity,
    the optimizer does not step (no weight, moment or step-count change),
    the gradients are cleared and a warning names the iteration (the model
    has already warned naming the term). Under DDP the gradients are
    averaged over the ranks before the step, so a non-finite loss on one
    rank makes every rank skip the same update, with no extra
    communication.

    The policy reaches our models (``PairClassifier``, ``DMLClassifier``:
    their ``skip_nonfinite``) through :meth:`optim_context`, which every
    train step enters (MMEngine's ``BaseModel``, its DDP wrapper and
    ``DMLClassifier`` alike); with a stock ``OptimWrapper`` or
    ``AmpOptimWrapper`` they stop (fp16's loss scaler still skips infinite
    gradients of a finite loss, as in MMEngine).

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

    @contextmanager
    def optim_context(self, model):
        """As ``OptimWrapper``'s; first tells ``model`` the policy (read by
        its ``parse_losses``, which runs after this context)."""
        module = bare_model(model)
        if hasattr(module, 'skip_nonfinite'):
            module.skip_nonfinite = self.nonfinite == 'skip'
        with super().optim_context(model):
            yield

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
            message = (f'{type(self).__name__}: non-finite gradients'
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
