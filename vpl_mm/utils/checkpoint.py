"""Checkpoints: reading them safely, and whether one fits a model.

Reading. Since torch 2.6, ``torch.load`` defaults to ``weights_only=True``
and MMEngine 0.10.7 does not pass the argument, so resuming from a Runner
checkpoint fails on the objects its message hub holds. Rather than switch
the safety off, we allow-list the exact classes MMEngine checkpoints contain.
:func:`load_checkpoint_file` is MMEngine's reader of local files once
vpl_mm is imported: it returns what MMEngine's own reader returns for every
file that one reads, and says in one line what is wrong with a file it
cannot read (:class:`CheckpointError`). :func:`read_checkpoint` also wants a
checkpoint's form (a dict with ``state_dict``, or a plain state dict): what
vpl_mm's own readers (export, :class:`CheckpointFitHook`) accept.

Fitting. :func:`state_dict_mismatch`, :func:`nonfinite_tensors` and
:func:`check_fits` compare a state dict with a model's, after the key
renames the model's modules apply on load (:func:`upgraded_state_dict`);
:func:`model_state_shapes` gives a model's keys and full shapes, also when
FSDP shards it. Which mismatch a run refuses is
:class:`CheckpointFitHook`'s decision.
"""
import os.path as osp
import pickle
import re
from typing import Any, Dict, List, Optional

import numpy as np
import torch
import torch.nn as nn
from mmengine.logging import HistoryBuffer
from mmengine.runner.checkpoint import CheckpointLoader

from .errors import CheckpointError, CheckpointNotFoundError
from .model import bare_model

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
    """Allow-list :func:`checkpoint_safe_globals` for ``torch.load``, and
    make :func:`load_checkpoint_file` MMEngine's reader of local files.

    The two global changes that ``import vpl_mm`` makes to how any config
    reads checkpoints (canaries: tests/test_utils/test_checkpoint.py): the
    allow-list (a Runner checkpoint can be read at all under torch >= 2.6),
    and the wording of the errors for files that cannot be read.
    """
    if hasattr(torch.serialization, 'add_safe_globals'):
        torch.serialization.add_safe_globals(checkpoint_safe_globals())
    # Replaces mmengine/runner/checkpoint.py load_from_local, the loader of
    # plain paths (prefix ''), to name the file in one line where torch.load
    # fails; same result otherwise (canary: tests/test_upstream_contract.py).
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_checkpoint_file, force=True)


# torch 2.14's wordings: 'Unsupported global: GLOBAL x.y' (not allow-listed)
# and 'unsupported GLOBAL x.y whose module x is blocked'
_UNSAFE_GLOBAL = re.compile(r'unsupported (?:global: )?GLOBAL ([\w.]+)',
                            re.IGNORECASE)
_ZIP_MAGIC = b'PK\x03\x04'


def load_checkpoint_file(filename: str,
                         map_location: Any = 'cpu',
                         logger: Optional[Any] = None) -> Any:
    """Read a file with ``torch.load(weights_only=True)``, as MMEngine's
    ``load_from_local`` does, with one-line errors.

    Args:
        filename (str): A local file.
        map_location: As :func:`torch.load`. Defaults to ``'cpu'``.
        logger: Unused; MMEngine's loaders take it.

    Returns:
        What ``torch.load`` returns (for a checkpoint: a dict).

    Raises:
        CheckpointError: naming the file and what is wrong, in one line:
            empty, truncated or damaged, not a PyTorch checkpoint, a class
            outside the allow-list (named: no code from a file is run).
            No such file: :class:`CheckpointNotFoundError`, also a
            ``FileNotFoundError`` (what MMEngine's reader raises).
    """
    path = osp.expanduser(str(filename))
    if not osp.isfile(path):
        raise CheckpointNotFoundError(f'checkpoint {filename}: no such file')
    size = osp.getsize(path)
    if size == 0:
        raise CheckpointError(f'checkpoint {filename}: the file is empty '
                              '(0 bytes)')
    with open(path, 'rb') as f:
        is_zip = f.read(4) == _ZIP_MAGIC
    try:
        checkpoint = torch.load(
            path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as e:
        found = _UNSAFE_GLOBAL.search(str(e))
        if found:
            raise CheckpointError(
                f'checkpoint {filename}: it needs {found.group(1)}, which '
                'is not among the objects a checkpoint may hold (tensors, '
                "numpy arrays, MMEngine's log buffers); vpl_mm reads "
                'checkpoints without running code from them') from None
        raise CheckpointError(f'checkpoint {filename}: not a PyTorch '
                              f'checkpoint ({size} bytes that torch.load '
                              'cannot read)') from None
    except (EOFError, RuntimeError, ValueError, IndexError, KeyError,
            TypeError, AttributeError, OSError) as e:
        if is_zip or isinstance(e, EOFError):
            raise CheckpointError(
                f'checkpoint {filename}: truncated or damaged ({size} bytes; '
                f'{type(e).__name__} while reading it)') from None
        raise CheckpointError(f'checkpoint {filename}: not a PyTorch '
                              f'checkpoint ({size} bytes that torch.load '
                              'cannot read)') from None
    return checkpoint


def read_checkpoint(filename: str, map_location: Any = 'cpu') -> dict:
    """:func:`load_checkpoint_file`, then :func:`checked_checkpoint`.

    Raises:
        CheckpointError: as those two say.
    """
    return checked_checkpoint(
        load_checkpoint_file(filename, map_location), filename)


def checked_checkpoint(checkpoint: Any, filename: str) -> dict:
    """``checkpoint`` if it is a dict with a ``state_dict`` dict, or a plain
    state dict of tensors.

    Raises:
        CheckpointError: naming the file and what it holds instead.
    """
    if not isinstance(checkpoint, dict):
        raise CheckpointError(
            f'checkpoint {filename}: it holds a {type(checkpoint).__name__}, '
            "not a checkpoint dict (dict(state_dict=..., meta=...))")
    if 'state_dict' in checkpoint:
        if not isinstance(checkpoint['state_dict'], dict):
            raise CheckpointError(
                f'checkpoint {filename}: its state_dict is a '
                f"{type(checkpoint['state_dict']).__name__}, not a dict of "
                'tensors')
        return checkpoint
    if checkpoint and all(torch.is_tensor(v) for v in checkpoint.values()):
        return checkpoint  # a plain state dict, as torch.save(m.state_dict())
    raise CheckpointError(
        f'checkpoint {filename}: it holds no `state_dict` (keys: '
        f'{sorted(map(str, checkpoint))[:5]})')


def nonfinite_tensors(state: Dict[str, torch.Tensor]) -> List[str]:
    """Names of the floating-point tensors of ``state`` with a NaN or inf."""
    return [
        k for k, v in state.items() if torch.is_tensor(v)
        and v.is_floating_point() and not torch.isfinite(v).all()
    ]


def _names(keys: List[str], limit: int = 5) -> str:
    more = len(keys) - limit
    return ', '.join(keys[:limit]) + (f' and {more} more' if more > 0 else '')


def check_finite(state: Dict[str, torch.Tensor], filename: str) -> None:
    """Refuse a state dict with NaN / inf weights.

    Raises:
        CheckpointError: naming the first few tensors that are not finite.
    """
    bad = nonfinite_tensors(state)
    if bad:
        raise CheckpointError(
            f'checkpoint {filename}: non-finite weights (NaN or inf) in '
            f'{_names(bad)}')


def check_fits(state: Dict[str, torch.Tensor], expected: Dict[str,
                                                              torch.Tensor],
               filename: str, model_name: str) -> None:
    """Refuse a state dict that does not fit a model or holds NaN / inf.

    Raises:
        CheckpointError: naming the first few keys each way, or the tensors
            that are not finite.
    """
    mismatch = state_dict_mismatch(state, expected)
    if mismatch:
        raise CheckpointError(
            f'checkpoint {filename} does not fit {model_name} ({mismatch})')
    check_finite(state, filename)


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


def model_state_shapes(model: nn.Module) -> Dict[str, torch.Tensor]:
    """The model's state-dict keys, with their full (unsharded) shapes.

    Under FSDP (MMEngine's ``FlexibleRunner`` + ``FSDPStrategy``) the
    wrapped module's parameters are flattened shards; their names and shapes
    are read inside ``summon_full_params`` (values: ``meta`` tensors).
    Elsewhere: the unwrapped model's own ``state_dict()``.
    """
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    if not isinstance(model, FSDP):
        return bare_model(model).state_dict()
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
