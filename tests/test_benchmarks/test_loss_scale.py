"""benchmarks.loss_scale: per-term gradient norms on each backbone,
checked against plain backward passes."""
import json
import math
import os.path as osp
import sys

import torch
from _utils import run
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS

from benchmarks import loss_scale

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FMNIST_GATE = osp.join(ROOT, 'configs/fashion_mnist/vpl_tiny_fmnist_gate.py')


def fmnist_cfg(root):
    cfg = Config.fromfile(FMNIST_GATE)
    cfg.train_dataloader.dataset.data_root = str(root)
    return cfg


def test_norms_match_plain_backward(fashion_mnist_root):
    cfg = fmnist_cfg(fashion_mnist_root)
    batch = loss_scale.dataset_batch(cfg, 8)
    records = loss_scale.audit(cfg, 1, batch)
    assert [r['step'] for r in records] == [0, 1]
    first = records[0]['terms']
    assert set(first) == {'loss_cnn', 'loss_trans', 'loss_cl', 'loss_kl'}
    # the paper's restriction: CL reaches only the transformer, KL the CNN
    assert first['loss_cl']['grad_cnn'] == 0 < first['loss_cl']['grad_trans']
    assert first['loss_kl']['grad_trans'] == 0 < first['loss_kl']['grad_cnn']

    # the same model and batch, one term at a time through .backward()
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.init_weights()
    model.train()
    data = model.data_preprocessor(
        dict(
            inputs=[b['inputs'] for b in batch],
            data_samples=[b['data_samples'] for b in batch]), True)
    losses = model.loss(data['inputs'], data['data_samples'])
    for key in ('loss_trans', 'loss_cl'):
        model.zero_grad()
        assert losses[key].item() == first[key]['value']
        losses[key].backward(retain_graph=True)
        norm = math.sqrt(
            sum(
                float(p.grad.pow(2).sum())
                for p in model.trans.backbone.parameters()
                if p.grad is not None))
        assert math.isclose(norm, first[key]['grad_trans'], rel_tol=1e-5)
    h = model.embed('trans', data['inputs'])[0].norm(dim=1).mean()
    assert math.isclose(
        records[0]['embedding_norms']['h_trans'], float(h), rel_tol=1e-5)


def test_photos_through_the_headline_test_pipeline():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/vpl_r50_vitb_in1k.py'))
    batch = loss_scale.photo_batch(cfg, 8)
    assert len(batch) == 8
    assert {tuple(b['inputs'].shape) for b in batch} == {(3, 224, 224)}
    assert [int(b['data_samples'].gt_label) for b in batch] == list(range(8))


def test_cli_writes_table_and_json(fashion_mnist_root, tmp_path):
    out = tmp_path / 'audit.json'
    log = run([
        sys.executable, '-m', 'benchmarks.loss_scale', FMNIST_GATE, '--steps',
        '1', '--source', 'dataset', '--stage', 'cl', '--out',
        str(out), '--cfg-options',
        f'train_dataloader.dataset.data_root={fashion_mnist_root}'
    ])
    assert '| 0 | loss_cl |' in log and 'loss_kl' not in log
    assert '‖∇ CL‖ / ‖∇ CE‖, transformer' in log
    result = json.loads(out.read_text())
    assert result['stage'] == 'cl' and len(result['records']) == 2
