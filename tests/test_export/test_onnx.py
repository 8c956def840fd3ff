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
