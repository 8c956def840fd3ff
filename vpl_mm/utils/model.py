import torch.nn as nn
from mmengine.model import is_model_wrapper


def bare_model(model: nn.Module) -> nn.Module:
    """``model`` without its DDP / model wrapper, if it has one.

    >>> import torch.nn as nn
    >>> layer = nn.Linear(2, 2)
    >>> bare_model(layer) is layer
    True
    """
    return model.module if is_model_wrapper(model) else model
