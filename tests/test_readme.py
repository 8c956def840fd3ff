"""README.md as a user runs it: CI calls its test command verbatim, its
own-dataset tutorial runs exactly as written (from a folder outside the
checkout, with the installed console scripts), and its config examples
build what they say."""
import os
import os.path as osp
import re
import shutil
import subprocess

import pytest

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
README = open(osp.join(ROOT, 'README.md'), encoding='utf-8').read()
BLOCK = re.compile(r'```(\w+)\n(.*?)```', re.S)


def section(title):
    start = README.index(f'\n## {title}\n')
    end = README.find('\n## ', start + 1)
    return README[start:end]


def test_ci_runs_the_readme_test_command():
    (tests, ) = [
        line for line in README.splitlines()
        if line.startswith('apt-get update') and 'python -m pytest' in line
    ]
    ci = open(osp.join(ROOT, '.ci', 'run')).read().splitlines()
    assert tests in ci
    assert len(README.encode()) <= 15 * 1024  # a concise guide


def test_own_dataset_tutorial_runs_as_written(tmp_path):
    for script in ('vpl-data', 'vpl-train', 'vpl-test', 'vpl-extract'):
        if shutil.which(script) is None:
            pytest.fail(f'{script} is not on PATH: install the package '
                        '(pip install -e .), as the test command does')
    tutorial = README[README.index('<!-- tutorial:start -->'):README.
                      index('<!-- tutorial:end -->')]
    blocks = BLOCK.findall(tutorial)
    assert [lang for lang, _ in blocks] == ['bash', 'python', 'bash']
    env = dict(os.environ, PYTHONPATH=ROOT)  # this checkout's vpl_mm
    for lang, text in blocks:
        if lang == 'python':  # a file, named on its first line
            name = re.match(r'# (\S+\.py)\n', text).group(1)
            (tmp_path / name).write_text(text)
            continue
        proc = subprocess.run(['bash', '-euo', 'pipefail', '-c', text],
                              cwd=tmp_path,
                              env=env,
                              capture_output=True,
                              text=True,
                              timeout=600)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    out = proc.stdout
    # six real classes, eight images per class and split
    data = tmp_path / 'data' / 'my_digits'
    assert sorted(os.listdir(data / 'train')) == list('012345')
    assert all(len(os.listdir(data / 'val' / c)) == 8 for c in '012345')
    # trained 2 epochs, tested, exported a stock classifier that predicts
    # one of the six classes for the first validation image (a '0')
    assert (tmp_path / 'work_dirs' / 'my_pair' / 'epoch_2.pth').exists()
    export = tmp_path / 'work_dirs' / 'export'
    assert 'vpl_mm' not in (export / 'trans.py').read_text()
    label = re.search(r'predicted class: (\d+) of data/my_digits/val/0/', out)
    assert label and int(label.group(1)) in range(6), out


def test_term_table_example_builds_the_term(tmp_path):
    from mmengine.config import Config
    from mmpretrain.registry import MODELS

    import vpl_mm  # noqa: F401  (vpl_mm:: configs)
    (example, ) = [
        text
        for lang, text in BLOCK.findall(section('The PLM: a table of terms'))
        if lang == 'python'
    ]
    path = tmp_path / 'feat.py'
    path.write_text(example)
    model = MODELS.build(Config.fromfile(str(path)).model)
    head = model.pair_head
    assert list(head.terms) == ['cl', 'kl', 'feat']  # added to the paper's
    feat = head.terms['feat']
    assert (feat.learner, feat.source, feat.layers) == ('trans', 'partner', {
        'cnn': ['backbone.layer2'],
        'trans': ['backbone.layers.1']
    })


def test_new_pair_example_is_the_shipped_config(tmp_path):
    from mmengine.config import Config
    (example, ) = [
        text for lang, text in BLOCK.findall(section('A new backbone pair'))
        if lang == 'python'
    ]
    path = tmp_path / 'pair.py'
    path.write_text(
        example.replace("'./vpl_r50_vitb_in1k.py'",
                        repr(osp.join(ROOT, 'configs/vpl_r50_vitb_in1k.py'))))
    shown = Config.fromfile(str(path))
    shipped = Config.fromfile(
        osp.join(ROOT, 'configs/vpl_convnext-t-swin-t_16xb100_in1k.py'))
    assert shown.model.to_dict() == shipped.model.to_dict()
    assert shown.optim_wrapper.to_dict() == shipped.optim_wrapper.to_dict()
