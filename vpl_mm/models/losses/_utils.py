"""Helpers shared by the Pair Learning Module losses."""
import numbers
from contextlib import contextmanager
from typing import Optional

import torch


def _number(owner: str, key: str, value) -> float:
    """``value`` as a float, or a ``TypeError`` that names ``key``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f'{owner}: `{key}` must be a number, got '
                        f'{value!r} ({type(value).__name__})')
    return float(value)


def check_temperature(owner: str, temperature: float) -> float:
    """Return ``temperature`` as a float, or raise if it is not positive.

    Args:
        owner (str): Who asks, for the error message.
        temperature (float): The temperature to check.

    Returns:
        float: The temperature.

    Raises:
        TypeError: not a number (e.g. ``'abc'`` from ``--cfg-options``).
        ValueError: not > 0.
    """
    temperature = _number(owner, 'temperature', temperature)
    if not temperature > 0:
        raise ValueError(
            f'{owner}: `temperature` must be > 0, got {temperature!r}')
    return temperature


def check_weight(owner: str,
                 loss_weight: float,
                 key: str = 'loss_weight') -> float:
    """Return a weight (``loss_weight`` or the weight named ``key``) as a
    float, or raise if it is negative.

    A negative weight would make training maximise the term (push the
    branches apart) while the log shows a small loss; 0 switches it off.

    Raises:
        TypeError: not a number.
        ValueError: negative or not finite.
    """
    loss_weight = _number(owner, key, loss_weight)
    if not 0 <= loss_weight < float('inf'):
        raise ValueError(f'{owner}: `{key}` must be finite and >= 0 '
                         f'(0 switches the term off), got {loss_weight!r}')
    return loss_weight


def check_pair(owner: str, what: str, a: torch.Tensor,
               b: torch.Tensor) -> None:
    """Refuse two inputs that are not (N, ·) matrices of the same shape.

    Args:
        owner (str): Who asks, for the error message.
        what (str): What they are, e.g. ``'(N, C) logits'``.
    """
    if a.dim() != 2 or a.shape != b.shape:
        raise ValueError(f'{owner} expects two {what} of the same shape, got '
                         f'{tuple(a.shape)} and {tuple(b.shape)}')


def weighted_mean(per_sample: torch.Tensor,
                  weight: Optional[torch.Tensor]) -> torch.Tensor:
    """Mean over the N samples of ``per_sample * weight`` (a gate's 0/1
    weights leave the divisor N: the kept terms' sum over the batch)."""
    if weight is not None:
        per_sample = per_sample * weight.float()
    return per_sample.mean()


@contextmanager
def fp32(device: torch.device):
    """Turn autocast off so that the PLM losses are computed in fp32.

    Args:
        device (torch.device): Device of the loss inputs.
    """
    with torch.autocast(device_type=device.type, enabled=False):
        yield
