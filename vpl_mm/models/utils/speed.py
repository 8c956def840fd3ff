"""The speed switches of the pair models (``TwoBranchClassifier``'s
``channels_last``, ``grad_checkpoint`` and ``compile``): each changes how a
branch runs, never what it computes or its state-dict keys."""
import weakref
from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch.distributed.algorithms._checkpoint.checkpoint_wrapper import (
    CheckpointImpl, checkpoint_wrapper)

# compiled feature extractors, per branch module: kept off the modules so
# that a deep copy (e.g. MMEngine's EMA) compiles its own, not calls ours
_COMPILED = weakref.WeakKeyDictionary()


def checkpoint_children(owner: str, name: str, branch: nn.Module,
                        containers: Sequence[str]) -> None:
    """Wrap each child of each container of ``branch`` in torch's
    ``checkpoint_wrapper`` (non-reentrant): its activations are recomputed
    in the backward pass instead of stored.

    Raises:
        ValueError: naming a container that ``branch`` does not have.
    """
    for path in containers:
        try:
            container = branch.get_submodule(path)
        except AttributeError:
            raise ValueError(f'{owner}: grad_checkpoint: branch `{name}` has '
                             f'no module {path!r}') from None
        for child, module in list(container.named_children()):
            setattr(
                container, child,
                checkpoint_wrapper(
                    module, checkpoint_impl=CheckpointImpl.NO_REENTRANT))


def in_memory_format(inputs: torch.Tensor,
                     channels_last: bool) -> torch.Tensor:
    """``inputs`` as channels-last if asked for and 4-d, else as they are."""
    if channels_last and inputs.dim() == 4:
        return inputs.contiguous(memory_format=torch.channels_last)
    return inputs


def extract_feat(branch: nn.Module, inputs: torch.Tensor,
                 compile_options: Optional[dict]):
    """``branch.extract_feat(inputs)``, through ``torch.compile`` (compiled
    on the first call, once per branch module) when ``compile_options`` is
    a dict."""
    if compile_options is None:
        return branch.extract_feat(inputs)
    if branch not in _COMPILED:  # unbound: no reference to the branch
        _COMPILED[branch] = torch.compile(
            type(branch).extract_feat, **compile_options)
    return _COMPILED[branch](branch, inputs)
