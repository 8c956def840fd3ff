"""Weight schedules of the Pair Learning Module's terms.

A schedule maps the share of training done, :math:`p = \\text{iter} /
\\text{max\\_iters}` (MMEngine's ``MessageHub`` info, which the runner
updates before every iteration), to a factor of a term's loss. It keeps no
state: a resumed run computes the same factor at the same iteration. Spans
are given as shares of training (``begin``, ``end`` in [0, 1]), as eq. 7's
stages are, so that a schedule means the same for any number of epochs.
"""
import math

from mmengine.logging import MessageHub
from mmpretrain.registry import MODELS


def training_progress(owner: str) -> float:
    """The share of training done before this iteration, in [0, 1].

    Raises:
        RuntimeError: outside a training run (no ``iter`` / ``max_iters``
            in MMEngine's current ``MessageHub``).
    """
    hub = MessageHub.get_current_instance()
    it, total = hub.get_info('iter'), hub.get_info('max_iters')
    if it is None or not total:
        raise RuntimeError(
            f'{owner}: a weight schedule follows the training run '
            '(MessageHub infos `iter` and `max_iters`, which the runner sets '
            'before each iteration); none is running')
    return min(max(it / total, 0.0), 1.0)


def set_training_progress(iteration: int, max_iters: int) -> None:
    """Tell the weight schedules where a run is, as the runner does before
    each iteration (for a forward outside a runner: an audit, a probe)."""
    hub = MessageHub.get_current_instance()
    hub.update_info('iter', iteration)
    hub.update_info('max_iters', max_iters)


class _Span:
    """A schedule over ``[begin, end]`` of training; :meth:`phase` is the
    position in the span, 0 before it and 1 after it."""

    def __init__(self, begin: float = 0.0, end: float = 1.0) -> None:
        if not 0 <= begin < end <= 1:
            raise ValueError(
                f'{type(self).__name__}: need 0 <= begin < end <= 1 (shares '
                f'of training), got begin={begin!r}, end={end!r}')
        self.begin, self.end = begin, end

    def phase(self, progress: float) -> float:
        return min(
            max((progress - self.begin) / (self.end - self.begin), 0.), 1.)


@MODELS.register_module()
class LinearDecayWeight(_Span):
    """A factor that goes linearly from ``start`` to ``stop`` over the span
    (``start`` before it, ``stop`` after it).

    With the defaults, :math:`1 - p`: the decay of Bootstrapping ViTs (Zhang
    et al., CVPR 2022: the feature term's weight :math:`\\times (1 -
    \\text{epoch}/E)`), here by iteration.

    Args:
        begin (float): Where the span starts, a share of training.
            Defaults to 0.
        end (float): Where it ends. Defaults to 1.
        start (float): The factor at ``begin``. Defaults to 1.
        stop (float): The factor at ``end``. Defaults to 0.

    Example:
        >>> LinearDecayWeight()(0.25)
        0.75
    """

    def __init__(self,
                 begin: float = 0.0,
                 end: float = 1.0,
                 start: float = 1.0,
                 stop: float = 0.0) -> None:
        super().__init__(begin, end)
        self.start, self.stop = float(start), float(stop)

    def __call__(self, progress: float) -> float:
        return self.start + (self.stop - self.start) * self.phase(progress)


@MODELS.register_module()
class SigmoidRampUpWeight(_Span):
    """The sigmoid-shaped ramp-up :math:`e^{-5(1 - t)^2}`, :math:`t` the
    position in the span (Laine & Aila, ICLR 2017, sec. 3.1 and appendix A;
    Tarvainen & Valpola's mean teacher, ``sigmoid_rampup``): from
    :math:`e^{-5} \\approx 0.0067` at ``begin`` to 1 at ``end`` and after.

    Args:
        begin (float): Where the ramp starts, a share of training.
            Defaults to 0.
        end (float): Where it reaches 1. Defaults to 0.3.

    Example:
        >>> round(SigmoidRampUpWeight(end=0.5)(0.25), 4)  # t = 0.5
        0.2865
    """

    def __init__(self, begin: float = 0.0, end: float = 0.3) -> None:
        super().__init__(begin, end)

    def __call__(self, progress: float) -> float:
        return math.exp(-5.0 * (1.0 - self.phase(progress))**2)
