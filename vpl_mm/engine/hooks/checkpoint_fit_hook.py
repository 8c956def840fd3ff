import logging
import re

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmpretrain.registry import HOOKS

from vpl_mm.utils.checkpoint import (check_fits, check_resume_fits,
                                     state_dict_mismatch)
from ._utils import bare_model


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Refuse to report numbers from a checkpoint that is not the model's.

    MMEngine's ``Runner.load_checkpoint`` (``load_from``, as ``tools/test.py``
    sets it) loads non-strictly and only warns, so a checkpoint of another
    model, with missing or reshaped tensors, or with NaN weights, is scored
    as if it were the model. This hook sees the checkpoint first (priority
    ``VERY_HIGH``) and:

    - on resume, refuses a checkpoint of another model
      (:func:`~vpl_mm.utils.check_resume_fits`);
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
        model = bare_model(runner)
        state = checkpoint.get('state_dict', checkpoint)
        # as Runner.load_checkpoint's default revise_keys
        state = {re.sub(r'^module\.', '', k): v for k, v in state.items()}
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
