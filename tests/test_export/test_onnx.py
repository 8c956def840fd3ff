import json
import os.path as osp

import onnx
import pytest
import torch

import vpl_mm  # noqa: F401
from vpl_mm.export import extract_branch
from vpl_mm.export.onnx import deploy_onnx, torchscript_onnx_exporter

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
DEPLOY = osp.join(ROOT, 'configs/deploy/classification_onnxruntime_{}.py')


@pytest.mark.parametrize('branch', ['cnn', 'trans'])
@pytest.mark.parametrize('shape', ['static', 'dynamic'])
def test_onnx_matches_pytorch(trained_pair, tmp_path, branch, shape):
    cfg, ckpt = extract_branch(*trained_pair, branch, str(tmp_path / 'ext'))
    work = str(tmp_path / 'onnx')
    result = deploy_onnx(DEPLOY.format(shape), cfg, ckpt, work, img_size=32)
    assert result['max_diff'] < 1e-5
    graph = onnx.load(result['onnx']).graph
    batch_dim = graph.input[0].type.tensor_type.shape.dim[0]
    if shape == 'dynamic':
        assert batch_dim.dim_param == 'batch' and result['batches'] == [1, 2]
    else:
        assert batch_dim.dim_value == 1 and result['batches'] == [1]
    # MMDeploy's SDK post-processes the head: it must be one it knows
    with open(osp.join(work, 'pipeline.json')) as f:
        tasks = json.load(f)['pipeline']['tasks']
    assert tasks[-1]['component'] == 'LinearClsHead'


def test_exporter_patch_is_scoped():
    original = torch.onnx.export
    with torchscript_onnx_exporter():
        assert torch.onnx.export is not original
        assert torch.onnx.export.keywords == dict(dynamo=False)
    assert torch.onnx.export is original


def test_export_refuses_checkpoints_that_do_not_fit(trained_pair, tmp_path):
    # MMDeploy loads non-strictly: it would export a partly random or NaN
    # model. Nothing is exported.
    from vpl_mm.utils import CheckpointError
    cfg, ckpt = extract_branch(*trained_pair, 'cnn', str(tmp_path / 'ext'))
    good = torch.load(ckpt)
    nan = dict(good, state_dict=dict(good['state_dict']))
    nan['state_dict']['head.fc.weight'] = torch.full_like(
        nan['state_dict']['head.fc.weight'], float('nan'))
    partial = dict(
        good,
        state_dict={
            k: v
            for k, v in good['state_dict'].items() if not k.startswith('head')
        })
    (tmp_path / 'empty.pth').write_bytes(b'')
    cases = {
        'nan.pth': (nan, 'non-finite weights (NaN or inf) in '
                    'head.fc.weight'),
        'partial.pth': (partial, "missing ['head.fc.weight'"),
        'empty.pth': (None, 'the file is empty')
    }
    for name, (obj, phrase) in cases.items():
        path = str(tmp_path / name)
        if obj is not None:
            torch.save(obj, path)
        work = tmp_path / f'onnx_{name}'
        with pytest.raises(
                CheckpointError,
                match=phrase.replace('(',
                                     r'\(').replace(')',
                                                    r'\)').replace('[',
                                                                   r'\[')):
            deploy_onnx(
                DEPLOY.format('static'), cfg, path, str(work), img_size=32)
        assert not work.exists()
