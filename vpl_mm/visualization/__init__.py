"""Training curves of MMEngine work dirs (the paper's Fig. 2 view)."""
from .curves import plot, read_curves, scalar_files

__all__ = ['plot', 'read_curves', 'scalar_files']
