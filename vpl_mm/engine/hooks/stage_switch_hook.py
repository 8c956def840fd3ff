import math
from typing import Optional, Tuple

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

from vpl_mm.utils.model import bare_model


def _span(first: int, last: int) -> str:
    """1-based inclusive range as text, e.g. '2-4', '5' or 'none'."""
    if last < first:
        return 'none'
    return str(first) if first == last else f'{first}-{last}'


@HOOKS.register_module()
class StageSwitchHook(Hook):
    """Multi-stage training of VPL (eq. 7).

    The first ``x`` % of training uses the contrastive term only, the middle
    ``100 - x - y`` % both terms, the last ``y`` % the KL term only (paper
    default ``x = y = 20``; ``x = y = 0`` is one-stage training). The
    cross-entropy of both branches is always on.

    Eq. 7 sorts the PLM's terms in two groups: ``'cl'`` (on in the first two
    stages: the terms through which the CNN leads the transformer, paper
    "Multi-Stage Training") and ``'kl'`` (on in the last two); each term of
    the model's ``pair_head`` table names its group (or none: always on).

    A step (epoch, or iteration with ``by_epoch=False``) belongs to the first
    stage when it lies wholly in the first ``x`` %, i.e. its 0-based index is
    below ``floor(x * total / 100)``; likewise for the last stage. With 5
    epochs and ``x = y = 20``: epoch 1 CL only, 2-4 both, 5 KL only.

    The hook decides which stage applies and switches the groups
    (:meth:`PairLearningHead.activate`). It keeps no state: the stage is
    derived from ``runner.epoch`` or ``runner.iter`` every time, so a
    resumed run lands in the right stage. Each switch is logged, and the log
    history of the terms that are off (``pair_head.log_keys(active=False)``)
    is dropped so that the logger does not repeat their last values.

    Args:
        x (float): Percentage of training at the start with CL only.
            Defaults to 20.
        y (float): Percentage of training at the end with KL only.
            Defaults to 20.
        by_epoch (bool): Count stages in epochs (True) or iterations.
            Defaults to True.
    """

    priority = 'NORMAL'
    # eq. 7: stage -> the groups of terms it switches on
    STAGES = {
        'CL only': ('cl', ),
        'CL + KL': ('cl', 'kl'),
        'KL only': ('kl', ),
    }

    def __init__(self, x: float = 20, y: float = 20, by_epoch: bool = True):
        for name, value in (('x', x), ('y', y)):
            if not 0 <= value <= 100:
                raise ValueError(
                    f'StageSwitchHook: `{name}` is a percentage in [0, 100], '
                    f'got {value!r}')
        if x + y > 100:
            raise ValueError(
                f'StageSwitchHook: x + y must be <= 100 (the first x% and '
                f'the last y% of training cannot overlap), got x={x}, y={y}')
        self.x = x
        self.y = y
        self.by_epoch = by_epoch

    def boundaries(self, total: int) -> Tuple[int, int]:
        """Return ``(first, last)``: steps ``[0, first)`` are CL only and
        steps ``[last, total)`` KL only.

        Args:
            total (int): Number of epochs (or iterations) of training.
        """
        # The small epsilon keeps e.g. 20 * 5 / 100 from flooring to 0.
        first = math.floor(self.x * total / 100 + 1e-9)
        last = total - math.floor(self.y * total / 100 + 1e-9)
        return first, last

    def stage(self, step: int, total: int) -> str:
        """Name of the stage that 0-based ``step`` of ``total`` belongs to."""
        first, last = self.boundaries(total)
        if step < first:
            return 'CL only'
        if step >= last:
            return 'KL only'
        return 'CL + KL'

    @staticmethod
    def _pair_head(runner):
        model = bare_model(runner.model)
        head = getattr(model, 'pair_head', None)
        if head is None or not hasattr(head, 'activate'):
            raise TypeError(
                'StageSwitchHook needs a model with a `pair_head` that has '
                f'`activate` (e.g. PairClassifier), got '
                f'{type(model).__name__}')
        return head

    def _progress(self, runner) -> Tuple[int, int, str]:
        if self.by_epoch:
            return runner.epoch, runner.max_epochs, 'epoch'
        return runner.iter, runner.max_iters, 'iter'

    def _apply(self, runner) -> None:
        step, total, unit = self._progress(runner)
        name = self.stage(step, total)
        head = self._pair_head(runner)
        if head.activate(self.STAGES[name]):
            runner.logger.info(
                f'StageSwitchHook: {unit} {step + 1}/{total}: stage '
                f'"{name}" (eq. 7)')
        # A term that is off is not computed; drop its history so that the
        # logger does not keep printing its last value (MMEngine's
        # MessageHub.log_scalars dict; canary: tests/test_upstream_contract).
        for key in head.log_keys(active=False):
            runner.message_hub.log_scalars.pop(f'train/{key}', None)

    def before_train(self, runner) -> None:
        step, total, unit = self._progress(runner)
        first, last = self.boundaries(total)
        self._pair_head(runner)
        spans = ', '.join(f'{name} {_span(begin + 1, end)}'
                          for name, begin, end in (('CL only', 0, first),
                                                   ('CL + KL', first, last),
                                                   ('KL only', last, total)))
        runner.logger.info(f'StageSwitchHook: x={self.x}%, y={self.y}% of '
                           f'{total} {unit}s: {spans}')

    def before_train_epoch(self, runner) -> None:
        if self.by_epoch:
            self._apply(runner)

    def before_train_iter(self,
                          runner,
                          batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        if not self.by_epoch:
            self._apply(runner)
