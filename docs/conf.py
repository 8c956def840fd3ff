"""Sphinx configuration of vpl_mm's docs: the user guide (Markdown, read by
myst-parser), the configs table (written from configs/metafile.yml at each
build) and the API reference (autodoc + napoleon, from the docstrings).

Build (the test command does, warnings as errors)::

    python -m sphinx -W -b html docs docs/_build/html
"""
import os
import os.path as osp

import yaml

from vpl_mm.version import __version__  # the installed (-e) package

DOCS = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(DOCS)

project = 'vpl_mm'
author = 'vpl_mm contributors'
copyright = '2026, vpl_mm contributors'
version = release = __version__

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
    'myst_parser',
]
source_suffix = {'.rst': 'restructuredtext', '.md': 'markdown'}
exclude_patterns = ['_build']
html_theme = 'sphinx_rtd_theme'

autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_default_options = dict(members=True, show_inheritance=True)
napoleon_google_docstring = True
napoleon_numpy_docstring = False
myst_heading_anchors = 3
# MMEngine/MMPretrain base classes and torch types named in signatures are
# outside these docs
nitpicky = False


def configs_table(metafile: str) -> str:
    """The table of configs/metafile.yml, as Markdown: what each config
    reproduces."""
    with open(metafile) as f:
        models = yaml.safe_load(f)['Models']
    rows = [
        '| config | reproduces | data | epochs |',
        '|---|---|---|---|',
    ]
    for model in models:
        meta = model.get('Metadata', {})
        rows.append(f"| `{model['Config']}` | {meta.get('Reproduces', '')} "
                    f"| {meta.get('Training Data', '')} "
                    f"| {meta.get('Epochs', '')} |")
    return '\n'.join(rows) + '\n'


def write_configs_page() -> None:
    """docs/configs.md's table, from the metafile mim reads too."""
    text = ('# Configs\n\n'
            'What each config reproduces, from `configs/metafile.yml` (the '
            'file `mim search vpl_mm` reads). No trained weights are '
            'published.\n\n' +
            configs_table(osp.join(ROOT, 'configs', 'metafile.yml')))
    path = osp.join(DOCS, '_generated', 'configs.md')
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)


write_configs_page()
