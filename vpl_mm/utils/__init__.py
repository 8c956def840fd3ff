from .atomic import AtomicLocalBackend, atomic_write
from .checkpoint import (check_fits, checkpoint_safe_globals,
                         load_checkpoint_file, nonfinite_tensors,
                         register_checkpoint_safe_globals, state_dict_mismatch)
from .config_lookup import register_all_modules
from .errors import CheckpointError, ConfigError, InputError
from .launch import (adapt_cfg_to_machine, keep_freed_memory,
                     load_mmpretrain_tool, run_mmpretrain_tool,
                     start_cpu_process_group)

__all__ = [
    'AtomicLocalBackend', 'atomic_write', 'adapt_cfg_to_machine', 'check_fits',
    'CheckpointError', 'ConfigError', 'InputError', 'load_checkpoint_file',
    'nonfinite_tensors', 'keep_freed_memory', 'checkpoint_safe_globals',
    'load_mmpretrain_tool', 'register_all_modules',
    'register_checkpoint_safe_globals', 'run_mmpretrain_tool',
    'start_cpu_process_group', 'state_dict_mismatch'
]
