"""The model layer stands on MMEngine's and MMPretrain's models alone, as
MMPretrain's models never import its engine: no module under
vpl_mm/models/ imports vpl_mm.engine."""
import ast
import glob
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def imported(path):
    """Absolute names of the modules a file imports."""
    package = osp.relpath(osp.dirname(path), ROOT).replace(osp.sep, '.')
    names = []
    for node in ast.walk(ast.parse(open(path).read())):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split('.')
            if node.level:
                base = base[:len(base) - node.level + 1]
                names.append('.'.join(base +
                                      ([node.module] if node.module else [])))
            else:
                names.append(node.module)
    return names


def test_imported_resolves_relative_imports():
    path = osp.join(ROOT, 'vpl_mm/models/classifiers/pair_classifier.py')
    # from ..utils.branches import
    assert 'vpl_mm.models.utils.branches' in imported(path)


def test_models_do_not_import_the_engine():
    files = glob.glob(osp.join(ROOT, 'vpl_mm/models/**/*.py'), recursive=True)
    assert len(files) > 10
    bad = {
        osp.relpath(f, ROOT): name
        for f in files
        for name in imported(f)
        if name == 'vpl_mm.engine' or name.startswith('vpl_mm.engine.')
    }
    assert not bad
