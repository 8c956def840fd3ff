"""Our flags on MMPretrain's tools: listed by -h, and --tensorboard without
TensorBoard installed says how to get it in one line."""
import os
import subprocess
import sys

import pytest
from _utils import PAIR_CONFIG, ROOT, python

from vpl_mm.utils.launch import OUR_FLAGS


@pytest.mark.parametrize('tool', ['train', 'test'])
def test_help_lists_every_flag_we_add(tool):
    out = python(f'tools/{tool}.py', '-h')
    assert '--work-dir' in out  # MMPretrain's own flags are still there
    for flag, text in OUR_FLAGS[tool]:
        assert f'[{flag}]' in out  # in the usage line
        assert text.split()[0] in out.split(flag, 2)[-1]  # with its help


def test_tensorboard_missing_is_our_one_line_hint(tmp_path):
    # TensorBoard hidden from this process only
    code = ('import importlib.util as u; find = u.find_spec; '
            'u.find_spec = lambda n, *a: None if n == "tensorboard" else '
            'find(n, *a); '
            'from vpl_mm.cli import train; train()')
    proc = subprocess.run([
        sys.executable, '-c', code, PAIR_CONFIG, '--tensorboard', '--work-dir',
        str(tmp_path)
    ],
                          cwd=ROOT,
                          env=dict(os.environ, PYTHONPATH=ROOT),
                          capture_output=True,
                          text=True)
    assert proc.returncode == 1, proc.stderr[-2000:]
    last = proc.stderr.strip().splitlines()[-1]
    assert last.startswith('train: error: --tensorboard needs TensorBoard: '
                           'pip install "vpl_mm[tensorboard]"'), last
    assert 'Traceback' not in proc.stderr
