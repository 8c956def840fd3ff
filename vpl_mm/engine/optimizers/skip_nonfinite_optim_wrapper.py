import logging

import torch
from mmengine.logging import MessageHub, print_log
from mmengine.optim import OptimWrapper
from mmpretrain.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class SkipNonFiniteOptimWrapper(OptimWrapper):
    """``OptimWrapper`` that skips an update whose gradients are not finite.

    As the loss scaler of MMEngine's fp16 ``AmpOptimWrapper`` does: when any
    gradient holds a NaN or an infinity, the optimizer does not step (no
    weight, moment or step-count change), the gradients are cleared and a
    warning names the iteration. Under DDP the gradients are averaged over
    the ranks before the step, so a non-finite loss on one rank makes every
    rank skip the same update, with no extra communication.

    Use it with ``PairClassifier(nonfinite='skip')``, which lets a non-finite
    loss through (with a warning naming the term) instead of stopping.

    Args:
        **kwargs: Arguments of :class:`mmengine.optim.OptimWrapper`.

    Attributes:
        skipped (int): Updates skipped so far in this process.
    """

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.skipped = 0

    def step(self, **kwargs) -> None:
        grads = [
            p.grad for group in self.optimizer.param_groups
            for p in group['params'] if p.grad is not None
        ]
        if grads and not torch.isfinite(
                torch.stack(torch._foreach_norm(grads))).all():
            self.skipped += 1
            it = MessageHub.get_current_instance().get_info('iter')
            where = '' if it is None else f' of iteration {it + 1}'
            print_log(
                f'SkipNonFiniteOptimWrapper: skipped the update{where}: '
                f'non-finite gradients ({self.skipped} skipped so far)',
                logger='current',
                level=logging.WARNING)
            self.zero_grad()
            return
        super().step(**kwargs)
