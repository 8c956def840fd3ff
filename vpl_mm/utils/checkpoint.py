"""Let ``torch.load(weights_only=True)`` read MMEngine checkpoints.

Since torch 2.6, ``torch.load`` defaults to ``weights_only=True`` and MMEngine
0.10.7 does not pass the argument, so resuming from a Runner checkpoint fails
on the objects its message hub holds. Rather than switch the safety off, we
allow-list the exact classes MMEngine checkpoints contain.
"""
from typing import Any, Dict, List

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.model import is_model_wrapper

# The statistics every HistoryBuffer registers when the first one is built;
# methods added with HistoryBuffer.register_statistics count too.
HISTORY_BUFFER_METHODS = frozenset({'min', 'max', 'current', 'mean'})


def _numpy_globals() -> List[Any]:
    """numpy objects that pickled numpy scalars and arrays refer to."""
    names = []
    # numpy 2 moved numpy.core to numpy._core; checkpoints written under
    # numpy 1.x still name numpy.core.multiarray.
    for module_name in ('numpy._core.multiarray', 'numpy.core.multiarray'):
        try:
            module = __import__(module_name, fromlist=['_reconstruct'])
        except ImportError:
            continue
        for attr in ('_reconstruct', 'scalar'):
            names.append((getattr(module, attr), f'{module_name}.{attr}'))
    names += [np.ndarray, np.dtype]
    names += [
        type(np.dtype(t))
        for t in (np.float64, np.float32, np.int64, np.int32, np.bool_)
    ]
    return names


def _history_buffer_getattr(obj: Any, name: str) -> Any:
    """``getattr`` restricted to HistoryBuffer's statistics methods.

    A pickled :class:`HistoryBuffer` refers to its statistics methods
    (``HistoryBuffer.mean`` ...) through ``getattr``; allow-listing the
    builtin ``getattr`` itself would let a checkpoint reach any attribute of
    any allowed object, so only these lookups are allowed.
    """
    methods = HISTORY_BUFFER_METHODS.union(HistoryBuffer._statistics_methods)
    if obj is HistoryBuffer and name in methods:
        return getattr(obj, name)
    raise torch.serialization.pickle.UnpicklingError(
        f'Refusing getattr({obj!r}, {name!r}) in a checkpoint: only '
        'HistoryBuffer statistics methods may be looked up.')


def checkpoint_safe_globals() -> List[Any]:
    """The objects MMEngine Runner checkpoints need beyond torch's defaults.

    Returns:
        list: Entries for :func:`torch.serialization.add_safe_globals`.
    """
    return [HistoryBuffer,
            (_history_buffer_getattr, 'builtins.getattr')] + _numpy_globals()


def register_checkpoint_safe_globals() -> None:
    """Allow-list :func:`checkpoint_safe_globals` for ``torch.load``."""
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(checkpoint_safe_globals())


def state_dict_mismatch(state: Dict[str, torch.Tensor],
                        expected: Dict[str, torch.Tensor]) -> str:
    """Say how a state dict does not fit a model's, or ``''`` if it fits.

    Args:
        state (dict): The state dict to load.
        expected (dict): The model's own ``state_dict()``.

    Returns:
        str: e.g. ``"missing ['a'], unexpected [], wrong shape ['b']"``
        (at most five keys each), or ``''``.
    """
    missing = [k for k in expected if k not in state]
    unexpected = [k for k in state if k not in expected]
    wrong = [
        k for k in state
        if k in expected and state[k].shape != expected[k].shape
    ]
    if not (missing or unexpected or wrong):
        return ''
    return (f'missing {missing[:5]}, unexpected {unexpected[:5]}, wrong '
            f'shape {wrong[:5]}')


def _full_state_shapes(model) -> Dict[str, torch.Tensor]:
    """The model's state-dict keys, with their full (unsharded) shapes.

    Under FSDP (MMEngine's ``FlexibleRunner`` + ``FSDPStrategy``) the
    wrapped module's parameters are flattened shards; their names and shapes
    are read inside ``summon_full_params`` (values: ``meta`` tensors).
    """
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    if not isinstance(model, FSDP):
        module = model.module if is_model_wrapper(model) else model
        return module.state_dict()
    shapes = {}
    with FSDP.summon_full_params(model, writeback=False):
        for prefix, module in model.module.named_modules():
            tensors = list(module.named_parameters(recurse=False)) + [
                (name, buf)
                for name, buf in module.named_buffers(recurse=False)
                if name not in module._non_persistent_buffers_set
            ]
            for name, tensor in tensors:
                key = f'{prefix}.{name}' if prefix else name
                for wrapper in ('_fsdp_wrapped_module.',
                                '_checkpoint_wrapped_module.'):
                    key = key.replace(wrapper, '')
                shapes[key] = torch.empty(tensor.shape, device='meta')
    return shapes


def check_resume_fits(runner, checkpoint: dict) -> None:
    """Refuse to resume ``runner`` from a checkpoint of another model.

    MMEngine loads a resumed checkpoint non-strictly and only warns. Called
    by the hooks that receive the checkpoint first (``after_load_checkpoint``
    of :class:`SafeCheckpointHook` and :class:`SafeEMAHook`); does nothing
    for ``load_from``, which may load part of a model on purpose.

    Raises:
        ValueError: naming the keys that do not fit.
    """
    if not getattr(runner, '_resume', False):
        return
    model = runner.model.module if is_model_wrapper(
        runner.model) else runner.model
    mismatch = state_dict_mismatch(
        checkpoint.get('state_dict', {}), _full_state_shapes(runner.model))
    if mismatch:
        raise ValueError(
            'Cannot resume: the checkpoint is of another model than '
            f'{type(model).__name__} of this config ({mismatch}). '
            'Resume with the config it was trained with.')
