"""The ``>>>`` examples in vpl_mm's docstrings run, and give what they say
(the same as ``pytest --doctest-modules vpl_mm``, inside the suite)."""
import doctest
import importlib
import pkgutil

import pytest

import vpl_mm

MODULES = sorted(
    m.name for m in pkgutil.walk_packages(vpl_mm.__path__, 'vpl_mm.'))


@pytest.mark.parametrize('name', MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f'{result.failed} example(s) failed in {name}'


def test_there_are_examples():
    attempted = sum(
        doctest.testmod(importlib.import_module(name)).attempted
        for name in MODULES)
    assert attempted >= 20, attempted
