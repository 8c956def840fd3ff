"""Registries of the scope ``vpl_mm``: children of MMPretrain's.

Our components register into MMPretrain's registries (``mmpretrain``
scope). A config that inherits ours as ``vpl_mm::folder/file.py`` gets
``_scope_='vpl_mm'`` on the inherited keys (MMEngine scopes external base
configs by their package); MMEngine then imports ``vpl_mm.registry`` and
builds from these children, which find everything in their MMPretrain
parents.
"""
import mmpretrain.registry as _mmpretrain
from mmengine.registry import Registry

__all__ = list(_mmpretrain.__all__)
for _name in __all__:
    _parent = getattr(_mmpretrain, _name)
    globals()[_name] = Registry(_parent.name, parent=_parent, scope='vpl_mm')
