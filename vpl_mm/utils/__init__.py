"""Helpers of the whole package, one file per concern (what the models are
built from is in :mod:`vpl_mm.models.utils`):

- ``checkpoint.py``: checkpoints: reading them safely (MMEngine's reader of
  local files, the allow-list), whether one fits a model (keys, shapes,
  NaN, old keys renamed);
- ``atomic.py``: writing files atomically (checkpoints, exports);
- ``config_lookup.py``: configs inheriting ours (``vpl_mm::``), the
  ``vpl_mm`` scope's ``register_all_modules``;
- ``config_check.py``: config keys and values that cannot work, named
  before anything is built;
- ``launch.py``: our tools' start-up around MMPretrain's own tools;
- ``errors.py``: the errors of bad input, reported in one line;
- ``messages.py``, ``model.py``: the wording shared by messages
  (``iteration_text``) and unwrapping a model (``bare_model``).
"""
from .atomic import AtomicLocalBackend, atomic_write
from .checkpoint import (check_finite, check_fits, checkpoint_safe_globals,
                         load_checkpoint_file, model_state_shapes,
                         nonfinite_tensors, read_checkpoint,
                         register_checkpoint_safe_globals, state_dict_mismatch,
                         upgraded_state_dict)
from .config_lookup import register_all_modules
from .errors import (CheckpointError, CheckpointNotFoundError, ConfigError,
                     InputError)
from .launch import (adapt_cfg_to_machine, keep_freed_memory,
                     load_mmpretrain_tool, run_mmpretrain_tool,
                     start_cpu_process_group)

__all__ = [
    'AtomicLocalBackend', 'atomic_write', 'adapt_cfg_to_machine',
    'check_finite', 'check_fits', 'CheckpointError', 'CheckpointNotFoundError',
    'ConfigError', 'InputError', 'load_checkpoint_file', 'model_state_shapes',
    'nonfinite_tensors', 'keep_freed_memory', 'checkpoint_safe_globals',
    'load_mmpretrain_tool', 'read_checkpoint', 'register_all_modules',
    'register_checkpoint_safe_globals', 'run_mmpretrain_tool',
    'start_cpu_process_group', 'state_dict_mismatch', 'upgraded_state_dict'
]
