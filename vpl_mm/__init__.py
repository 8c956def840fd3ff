"""vpl_mm: Vision Pair Learning for MMPretrain.

Implements B. Tong and X. Yu, "Vision Pair Learning: An Efficient Training
Framework for Image Classification", arXiv:2112.00965 (2021): a CNN and a
transformer trained together through a Pair Learning Module (eq. 1-7).

Importing the package registers its components into MMPretrain's registries,
lets ``torch.load`` read MMEngine checkpoints safely (torch >= 2.6) and lets
configs inherit ours as ``vpl_mm::folder/file.py``.
"""
from . import engine, evaluation, models  # noqa: F401  (registration)
from .utils import register_checkpoint_safe_globals
from .utils.config_lookup import register_config_package
from .version import __version__

register_checkpoint_safe_globals()
register_config_package()

__all__ = ['__version__']
