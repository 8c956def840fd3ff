"""Helpers shared by the Pair Learning Module losses."""
from contextlib import contextmanager

import torch


def check_temperature(owner: str, temperature: float) -> float:
    """Return ``temperature`` as a float, or raise if it is not positive.

    Args:
        owner (str): Who asks, for the error message.
        temperature (float): The temperature to check.

    Returns:
        float: The temperature.
    """
    if not temperature > 0:
        raise ValueError(
            f'{owner}: `temperature` must be > 0, got {temperature!r}')
    return float(temperature)


@contextmanager
def fp32(device: torch.device):
    """Turn autocast off so that the PLM losses are computed in fp32.

    Args:
        device (torch.device): Device of the loss inputs.
    """
    with torch.autocast(device_type=device.type, enabled=False):
        yield
