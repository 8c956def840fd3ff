import os
import os.path as osp
import subprocess
import sys

import torch
from _utils import ROOT, python


def test_extract_then_deploy(trained_pair, tmp_path):
    out = python('tools/extract_branch.py', *trained_pair, '--branch', 'trans',
                 '--out-dir', str(tmp_path / 'ext'), '--no-ema')
    assert f"wrote {tmp_path / 'ext' / 'trans.py'}" in out
    meta = torch.load(tmp_path / 'ext' / 'trans.pth')['meta']
    assert meta['ema'] is False and meta['epoch'] == 2
    # checkpoints and exports are readable as a plain open() would leave
    # them under this process's umask (not mkstemp's owner-only 0600)
    from vpl_mm.utils.atomic import current_umask
    mode = 0o666 & ~current_umask()
    work = osp.dirname(trained_pair[1])
    ext = tmp_path / 'ext'
    for path in (trained_pair[1], osp.join(work, 'last_checkpoint'),
                 ext / 'trans.pth', ext / 'trans.py'):
        assert os.stat(path).st_mode & 0o777 == mode, path
    out = python('tools/deploy.py',
                 'configs/deploy/classification_onnxruntime_dynamic.py',
                 str(tmp_path / 'ext' / 'trans.py'),
                 str(tmp_path / 'ext' / 'trans.pth'), '--work-dir',
                 str(tmp_path / 'onnx'), '--img-size', '32')
    assert 'max |onnxruntime - pytorch| = ' in out
    assert osp.exists(tmp_path / 'onnx' / 'end2end.onnx')


def test_bad_branch_exits_with_message(trained_pair, tmp_path):
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/extract_branch.py'), *trained_pair, '--branch',
        'vit', '--out-dir',
        str(tmp_path / 'o')
    ],
                          capture_output=True,
                          text=True)
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines()[-1] == (
        "extract_branch: error: unknown branch 'vit': choose one of "
        "('cnn', 'trans')")
    assert not (tmp_path / 'o').exists()
