import logging
import re
from typing import Dict

import torch
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS

from vpl_mm.utils.checkpoint import check_fits, state_dict_mismatch
from vpl_mm.utils.errors import CheckpointError
from vpl_mm.utils.model import bare_model, upgraded_state_dict


def _full_state_shapes(model) -> Dict[str, torch.Tensor]:
    """The model's state-dict keys, with their full (unsharded) shapes.

    Under FSDP (MMEngine's ``FlexibleRunner`` + ``FSDPStrategy``) the
    wrapped module's parameters are flattened shards; their names and shapes
    are read inside ``summon_full_params`` (values: ``meta`` tensors).
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
    model = bare_model(runner.model)
    mismatch = state_dict_mismatch(
        upgraded_state_dict(model, checkpoint.get('state_dict', {})),
        _full_state_shapes(runner.model))
    if mismatch:
        raise CheckpointError(
            'Cannot resume: the checkpoint is of another model than '
            f'{type(model).__name__} of this config ({mismatch}). '
            'Resume with the config it was trained with.')


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Refuse to report numbers from a checkpoint that is not the model's.

    MMEngine's ``Runner.load_checkpoint`` (``load_from``, as ``tools/test.py``
    sets it) loads non-strictly and only warns, so a checkpoint of another
    model, with missing or reshaped tensors, or with NaN weights, is scored
    as if it were the model. This hook sees the checkpoint first (priority
    ``VERY_HIGH``) and:

    - on resume, refuses a checkpoint of another model
      (:func:`check_resume_fits`);
    - with ``strict=True`` (``tools/test.py``'s default), refuses a
      ``load_from`` checkpoint whose keys or shapes differ from the model's
      (the first few keys each way) or whose weights are not finite (the
      tensors named);
    - with ``strict=False`` (training's ``load_from``, which may load part of
      a model on purpose, e.g. Table 5's transfer configs with new heads;
      ``tools/test.py --partial-load``), logs what is not loaded.

    ``tools/train.py`` and ``tools/test.py`` add it to every run.

    Args:
        strict (bool): Refuse a ``load_from`` checkpoint that does not fit.
            Defaults to True.
    """

    priority = 'VERY_HIGH'

    def __init__(self, strict: bool = True) -> None:
        self.strict = strict

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        if runner._resume:
            check_resume_fits(runner, checkpoint)
            return
        model = bare_model(runner.model)
        state = checkpoint.get('state_dict', checkpoint)
        # as Runner.load_checkpoint's default revise_keys
        state = upgraded_state_dict(model, {
            re.sub(r'^module\.', '', k): v
            for k, v in state.items()
        })
        filename = runner._load_from
        if self.strict:
            check_fits(state, model.state_dict(), filename,
                       type(model).__name__)
            return
        mismatch = state_dict_mismatch(state, model.state_dict())
        if mismatch:
            print_log(
                f'load_from {filename}: loading part of '
                f'{type(model).__name__}; not loaded: {mismatch}',
                logger='current',
                level=logging.WARNING)
