"""The plugin as an installed OpenMMLab package: the wheel carries configs/,
tools/ and model-index.yml under vpl_mm/.mim (what mim and MMEngine's
`vpl_mm::` lookup read), console scripts (vpl-data writes the main job's
dataset without a checkout) and the verified stack as the `pinned` extra; a
config outside the checkout inherits ours through `vpl_mm::folder/file.py`
against the installed wheel."""
import os
import os.path as osp
import shutil
import subprocess
import sys
import textwrap
import zipfile

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SKIP = ('.git', 'data', 'work_dirs', 'build', 'dist', '.mim', '*.egg-info',
        '__pycache__', '.pytest_cache', 'results')


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    # built from a copy: building puts copies into vpl_mm/.mim, which in the
    # checkout are the editable install's links
    tree = tmp_path_factory.mktemp('tree') / 'vpl_mm_src'
    shutil.copytree(ROOT, tree, ignore=shutil.ignore_patterns(*SKIP))
    out = tmp_path_factory.mktemp('wheel')
    subprocess.run([
        sys.executable, '-m', 'pip', 'wheel', '--no-deps',
        '--no-build-isolation', '-q', '-w',
        str(out),
        str(tree)
    ],
                   check=True,
                   capture_output=True)
    (path, ) = out.glob('vpl_mm-*.whl')
    return path


def test_wheel_carries_the_mim_files_and_console_scripts(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ('vpl_mm/.mim/model-index.yml',
                 'vpl_mm/.mim/configs/metafile.yml',
                 'vpl_mm/.mim/configs/vpl_r50_vitb_in1k.py',
                 'vpl_mm/.mim/configs/demo/vpl_tiny_digits.py',
                 'vpl_mm/.mim/configs/_base_/vpl_runtime.py',
                 'vpl_mm/.mim/tools/train.py', 'vpl_mm/.mim/tools/test.py',
                 'vpl_mm/.mim/tools/dist_train.sh',
                 'vpl_mm/.mim/tools/extract_branch.py'):
        assert name in names, name
    # every config of the checkout is in the wheel
    for folder, _, files in os.walk(osp.join(ROOT, 'configs')):
        for f in files:
            rel = osp.relpath(osp.join(folder, f), ROOT)
            assert f'vpl_mm/.mim/{rel}' in names, rel
    (entry, ) = [n for n in names if n.endswith('entry_points.txt')]
    text = zipfile.ZipFile(wheel).read(entry).decode()
    for script in ('vpl-train = vpl_mm.cli:train',
                   'vpl-test = vpl_mm.cli:test',
                   'vpl-extract = vpl_mm.cli:extract',
                   'vpl-data = vpl_mm.cli:data'):
        assert script in text
    # requirements/pinned.txt, as the extra `pinned`
    (meta, ) = [n for n in names if n.endswith('.dist-info/METADATA')]
    text = zipfile.ZipFile(wheel).read(meta).decode()
    pinned = [
        line.strip()
        for line in open(osp.join(ROOT, 'requirements/pinned.txt'))
        if line.strip() and not line.startswith('#')
    ]
    for requirement in pinned:
        assert f'Requires-Dist: {requirement}; extra == "pinned"' in text, \
            requirement


def test_a_project_outside_the_checkout_inherits_our_configs(wheel, tmp_path):
    site = tmp_path / 'site'
    subprocess.run([
        sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index',
        '-q', '--target',
        str(site),
        str(wheel)
    ],
                   check=True,
                   capture_output=True)
    project = tmp_path / 'my_project'
    project.mkdir()
    (project / 'my_pair.py').write_text(
        textwrap.dedent("""\
        _base_ = ['vpl_mm::demo/vpl_tiny_digits.py']
        model = dict(pred_branch='cnn',
                     pair_head=dict(terms=dict(kl=dict(gate='target_better'))))
        """))
    script = textwrap.dedent("""\
        import os.path as osp
        import vpl_mm
        from mmengine.config import Config
        from mmpretrain.registry import MODELS
        assert vpl_mm.__file__.startswith(%r), vpl_mm.__file__
        cfg = Config.fromfile('my_pair.py')
        model = MODELS.build(cfg.model)
        print(type(model).__name__, model.pred_branch,
              model.pair_head.terms['kl'].gate, cfg.train_cfg.max_epochs)
        """) % str(site)
    env = dict(os.environ, PYTHONPATH=str(site))
    proc = subprocess.run([sys.executable, '-c', script],
                          cwd=project,
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == [
        'PairClassifier', 'cnn', 'target_better', '30'
    ]
    # no fallback to another scope's registry
    assert 'Failed to search registry' not in proc.stderr
    # the console scripts run from the wheel
    proc = subprocess.run([str(site / 'bin' / 'vpl-extract'), '--help'],
                          cwd=project,
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0 and '--branch' in proc.stdout, proc.stderr
    proc = subprocess.run([
        str(site / 'bin' / 'vpl-data'), 'digits', '--out-dir', 'data/few',
        '--classes', '1', '2', '--per-class', '2'
    ],
                          cwd=project,
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name
                  for p in (project / 'data/few/val').iterdir()) == ['1', '2']
