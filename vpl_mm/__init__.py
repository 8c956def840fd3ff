"""vpl_mm: Vision Pair Learning for MMPretrain.

Implements B. Tong and X. Yu, "Vision Pair Learning: An Efficient Training
Framework for Image Classification", arXiv:2112.00965 (2021): a CNN and a
transformer trained together through a Pair Learning Module (eq. 1-7).

Importing the package changes nothing in how MMEngine runs a config that is
not ours (the checks and hooks of our configs come with the configs:
``configs/_base_/default_runtime.py``), but for these, each needed by every
config of ours (canaries: tests/test_init.py, tests/test_upstream_contract.py,
tests/test_utils/test_checkpoint.py):

- its components are registered into MMPretrain's registries (new names);
- ``torch.load`` may read the classes MMEngine's Runner checkpoints hold
  (with torch >= 2.6 it reads none of them), and MMEngine's reader of local
  checkpoint files names the file in one line where it cannot read it
  (:mod:`vpl_mm.utils.checkpoint`; the same result for any file it reads);
- configs may inherit ours as ``vpl_mm::folder/file.py``, and write files
  through the ``atomic_local`` backend.
"""
from . import engine, evaluation, models  # noqa: F401  (registration)
from .utils import register_checkpoint_safe_globals
from .utils.config_lookup import register_config_package
from .version import __version__

register_checkpoint_safe_globals()
register_config_package()

__all__ = ['__version__']
