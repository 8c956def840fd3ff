"""vpl_mm: Vision Pair Learning for MMPretrain.

Importing the package registers its components into MMPretrain's registries
and lets ``torch.load`` read MMEngine checkpoints safely (torch >= 2.6).
"""
from . import engine, evaluation, models  # noqa: F401  (registration)
from .utils import register_checkpoint_safe_globals
from .version import __version__

register_checkpoint_safe_globals()

__all__ = ['__version__']
