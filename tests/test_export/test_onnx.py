import json
import os.path as osp

import onnx
import pytest
import torch

import vpl_mm  # noqa: F401
from vpl_mm.export import extract_branch
from vpl_mm.export.onnx import (deploy_onnx, sdk_model_config,
                                torchscript_onnx_exporter)

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


def test_a_grayscale_deit_branch_exports_with_a_head_the_sdk_knows(tmp_path):
    # the shipped distillation-token pair (1-channel Fashion-MNIST ViT with
    # DeiTClsHead once extracted), fresh weights: the random example image
    # gets the preprocessor's one channel, and the SDK meta names
    # LinearClsHead (the SDK has no DeiTClsHead) for the top-k of the scores
    from mmengine.config import Config
    from mmpretrain.registry import MODELS
    config = osp.join(ROOT,
                      'configs/fashion_mnist/vpl_tiny_fmnist_disttoken.py')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    torch.save(
        dict(meta={}, state_dict=model.state_dict()), tmp_path / 'pair.pth')
    cfg, ckpt = extract_branch(config, str(tmp_path / 'pair.pth'), 'trans',
                               str(tmp_path / 'ext'))
    assert Config.fromfile(cfg).model.head.type == 'DeiTClsHead'
    work = str(tmp_path / 'onnx')
    result = deploy_onnx(DEPLOY.format('static'), cfg, ckpt, work, img_size=28)
    assert result['max_diff'] < 1e-5
    with open(osp.join(work, 'pipeline.json')) as f:
        post = json.load(f)['pipeline']['tasks'][-1]
    assert post['component'] == 'LinearClsHead'
    assert post['params']['num_classes'] == 10 and post['params']['topk'] == 1


@pytest.mark.parametrize(
    'head,sdk',
    [
        (dict(type='VisionTransformerClsHead', hidden_dim=8), 'LinearClsHead'),
        (dict(type='LinearClsHead'), 'LinearClsHead'),
        (dict(type='ConformerHead'), 'ConformerHead'),
        (dict(type='MultiLabelLinearClsHead'), 'MultiLabelLinearClsHead'),
        (dict(type='CSRAHead'), 'CSRAHead'),  # multi-label: not top-k, kept
    ])
def test_sdk_head_names(head, sdk):
    from mmengine.config import Config
    assert sdk_model_config(Config(
        dict(model=dict(head=head)))).model.head.type == sdk


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
