"""Capture the outputs of named layers of a module during its forwards."""
from contextlib import contextmanager
from typing import Iterator, List, Optional, Sequence

import torch
import torch.nn as nn


class LayerRecorder:
    """The outputs of named submodules, captured during the forwards run
    inside :meth:`record` (as MMRazor's ``ModuleOutputsRecorder``).

    The forward hooks live only inside :meth:`record`, so a module carries
    none between forwards: a copy of it (an EMA, ``deepcopy``) records
    nothing unless recorded itself, and ``state_dict`` is untouched. Of a
    layer that returns a tuple (MMPretrain's transformer layers do not, some
    backbones do), the first element is kept.

    Args:
        paths (Sequence[str]): Module names, as ``named_modules`` gives
            them, e.g. ``['backbone.layer2', 'backbone.layers.1']``.

    Example:
        >>> import torch.nn as nn
        >>> model = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
        >>> with LayerRecorder(['0']).record(model) as outputs:
        ...     _ = model(torch.zeros(2, 4))
        >>> outputs[0].shape
        torch.Size([2, 3])
    """

    def __init__(self, paths: Sequence[str]) -> None:
        self.paths = list(paths)

    def modules(self,
                model: nn.Module,
                owner: str = 'LayerRecorder',
                what: str = 'the model') -> List[nn.Module]:
        """The recorded modules of ``model``.

        Raises:
            ValueError: naming a path ``model`` does not have.
        """
        found = []
        for path in self.paths:
            try:
                found.append(model.get_submodule(path))
            except AttributeError:
                raise ValueError(
                    f'{owner}: {what} has no module {path!r}') from None
        return found

    @contextmanager
    def record(self,
               model: nn.Module) -> Iterator[List[Optional[torch.Tensor]]]:
        """Yield a list that holds, after each forward of ``model`` inside,
        the output of each path (None for one that did not run)."""
        outputs: List[Optional[torch.Tensor]] = [None] * len(self.paths)
        handles = []
        for i, module in enumerate(self.modules(model)):

            def save(_, __, out, i=i):
                outputs[i] = out[0] if isinstance(out, (tuple, list)) else out

            handles.append(module.register_forward_hook(save))
        try:
            yield outputs
        finally:
            for handle in handles:
                handle.remove()
