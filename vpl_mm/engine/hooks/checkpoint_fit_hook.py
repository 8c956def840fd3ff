import logging
import os.path as osp
import re

from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.runner import BaseLoop
from mmpretrain.registry import HOOKS

from vpl_mm.utils.checkpoint import (check_finite, check_fits,
                                     checked_checkpoint, model_state_shapes,
                                     state_dict_mismatch, upgraded_state_dict)
from vpl_mm.utils.errors import CheckpointError
from vpl_mm.utils.model import bare_model


def training(runner) -> bool:
    """Whether ``runner`` is in ``train()``, which builds its train loop
    before it loads a checkpoint (``val()`` and ``test()`` do not)."""
    return isinstance(runner._train_loop, BaseLoop)


def last_checkpoint(work_dir: str):
    """The path that ``work_dir/last_checkpoint`` names (what MMEngine's
    ``--resume`` without a path resumes from), or None."""
    path = osp.join(work_dir, 'last_checkpoint')
    if not osp.isfile(path):
        return None
    with open(path) as f:
        return f.read().strip() or None


@HOOKS.register_module()
class CheckpointFitHook(Hook):
    """Refuse to run on a checkpoint that is not the model's.

    Every config of ours has it (``default_hooks.checkpoint_fit``, from
    ``configs/_base_/default_runtime.py``), so it checks whoever builds the
    Runner: our tools, MMPretrain's ``tools/train.py`` / ``test.py``,
    ``mim train`` / ``mim test``, ``Runner.from_cfg(cfg)`` in a script.
    MMEngine's ``Runner.load_checkpoint`` (``load_from``, which
    ``tools/test.py`` sets; ``--resume``) loads non-strictly and only warns,
    so a checkpoint of another model, with missing or reshaped tensors, or
    with NaN weights, would be trained on or scored as if it were the model.
    This hook sees the checkpoint first (``after_load_checkpoint``, priority
    ``VERY_HIGH``) and refuses, naming the file and the keys
    (:class:`CheckpointError`):

    - what is no checkpoint (not a dict with ``state_dict``, nor a plain
      state dict);
    - on resume: a checkpoint of another model (any key or shape differs),
      or with non-finite (NaN / inf) weights;
    - testing or validating: a checkpoint whose keys or shapes differ from
      the model's, or with non-finite weights; with ``partial_load=True``
      (``tools/test.py --partial-load``), as training's ``load_from``;
    - training's ``load_from``, which may load part of a model on purpose
      (e.g. Table 5's transfer configs with new heads): a checkpoint of
      which no tensor fits the model (another model altogether, e.g. a solo
      branch's), or whose fitting tensors are not finite; what it does not
      load is logged.

    Before a training run, one warning says when the run does not continue
    the work dir's previous one: ``--resume`` with no ``last_checkpoint``
    (MMEngine starts afresh), or a run without ``--resume`` in a work dir
    that holds one (MMEngine starts afresh and overwrites it).

    Args:
        partial_load (bool): When testing or validating, load what fits
            and log the rest. Defaults to False.
    """

    priority = 'VERY_HIGH'

    def __init__(self, partial_load: bool = False) -> None:
        self.partial_load = partial_load
        self._source = None

    def before_run(self, runner) -> None:
        """Note the file the run loads; warn as the class docstring says."""
        self._source = runner._load_from
        if not training(runner):
            return
        latest = last_checkpoint(runner.work_dir)
        if runner._resume and runner._load_from is None:
            self._source = latest
            if latest is None:
                print_log(
                    f'--resume: {runner.work_dir} holds no checkpoint to '
                    'resume (no last_checkpoint): this run starts afresh',
                    logger='current',
                    level=logging.WARNING)
        elif not runner._resume and latest is not None:
            print_log(
                f'{runner.work_dir} holds a previous run (last_checkpoint); '
                'this run starts afresh and overwrites its checkpoints: add '
                '--resume to continue it',
                logger='current',
                level=logging.WARNING)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        filename = self._source or runner._load_from
        checked_checkpoint(checkpoint, filename)
        model = bare_model(runner.model)
        name = type(model).__name__
        state = checkpoint.get('state_dict', checkpoint)
        # as Runner.load_checkpoint's default revise_keys
        state = upgraded_state_dict(model, {
            re.sub(r'^module\.', '', k): v
            for k, v in state.items()
        })
        expected = model_state_shapes(runner.model)
        if runner._resume:
            mismatch = state_dict_mismatch(state, expected)
            if mismatch:
                raise CheckpointError(
                    f'checkpoint {filename}: cannot resume from it, it is of '
                    f'another model than the {name} of this config '
                    f'({mismatch}); resume with the config it was trained '
                    'with')
            check_finite(state, filename)
        elif not training(runner) and not self.partial_load:
            check_fits(state, expected, filename, name)
        else:
            self._load_part(state, expected, filename, name)

    @staticmethod
    def _load_part(state: dict, expected: dict, filename: str,
                   name: str) -> None:
        fitting = {
            k: v
            for k, v in state.items()
            if k in expected and v.shape == expected[k].shape
        }
        mismatch = state_dict_mismatch(state, expected)
        if not fitting:
            raise CheckpointError(
                f'checkpoint {filename} does not fit {name}: none of its '
                f'{len(state)} tensors is one of the model\'s ({mismatch})')
        check_finite(fitting, filename)
        if mismatch:
            print_log(
                f'load_from {filename}: loading part of {name}; not loaded: '
                f'{mismatch}',
                logger='current',
                level=logging.WARNING)
