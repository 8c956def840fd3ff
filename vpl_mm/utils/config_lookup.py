"""Let configs of other projects inherit ours: ``vpl_mm::folder/file.py``.

MMEngine resolves ``_base_ = ['pkg::folder/file.py']`` to
``<installed pkg>/.mim/configs/folder/file.py`` for the OpenMMLab packages it
lists. ``setup.py`` puts ``configs/`` there (copied into the wheel, linked
in an editable install); :func:`register_config_package`, run by ``import
vpl_mm``, makes MMEngine accept the ``vpl_mm::`` prefix and find the package
where it is imported from. Configs at the top of ``configs/`` are not
reachable so (MMEngine wants ``folder/file``): inherit those by path.
"""
import os.path as osp

import mmengine.config.config as mmengine_config
from mmengine.config.utils import MODULE2PACKAGE

PACKAGE = 'vpl_mm'


def package_dir() -> str:
    """The folder of the imported ``vpl_mm`` (its ``.mim/`` is inside)."""
    return osp.dirname(osp.dirname(osp.abspath(__file__)))


def register_config_package() -> None:
    """Make ``vpl_mm::folder/file.py`` resolve in ``Config.fromfile``."""
    # mmengine/config/utils.py MODULE2PACKAGE: the fixed list of packages
    # whose configs `pkg::` may name (canary: test_upstream_contract)
    MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    lookup = mmengine_config.get_installed_path
    if getattr(lookup, 'vpl_mm', False):
        return

    def get_installed_path(package: str) -> str:
        # mmengine/utils/package_utils.py get_installed_path, as
        # mmengine/config/config.py calls it: it joins the distribution's
        # location with the name, which misses an editable install's source
        # folder; vpl_mm's is the imported package's
        if package == PACKAGE:
            return package_dir()
        return lookup(package)

    get_installed_path.vpl_mm = True
    mmengine_config.get_installed_path = get_installed_path


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register vpl_mm's and MMPretrain's modules, as
    ``mmpretrain.utils.register_all_modules`` (MMEngine calls
    ``<scope>.utils.register_all_modules(False)`` when it first builds from
    a registry of the scope ``vpl_mm``, see :mod:`vpl_mm.registry`).

    Args:
        init_default_scope (bool): Also make ``vpl_mm`` the default scope
            if none is set. Defaults to True.
    """
    from mmengine.registry import DefaultScope
    from mmpretrain.utils import register_all_modules as register_mmpretrain

    import vpl_mm  # noqa: F401  (registration)
    register_mmpretrain(init_default_scope=False)
    if init_default_scope and DefaultScope.get_current_instance() is None:
        DefaultScope.get_instance(PACKAGE, scope_name=PACKAGE)
