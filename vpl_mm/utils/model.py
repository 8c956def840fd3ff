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


def upgraded_state_dict(model: nn.Module, state: dict) -> dict:
    """``state`` with the keys renamed as ``model``'s modules rename them on
    load (a module's ``upgrade_keys(state, prefix)``, e.g.
    ``PairLearningHead``'s for checkpoints older than its table of terms):
    what ``load_state_dict`` compares with the model's own keys."""
    state = dict(state)
    for name, module in model.named_modules():
        upgrade = getattr(module, 'upgrade_keys', None)
        if callable(upgrade):
            upgrade(state, f'{name}.' if name else '')
    return state
