"""The CUDA paths users train on: fp16 AMP with loss scaling, channels_last,
per-branch torch.compile, and dist_train.sh on NCCL. Marked ``gpu``
(``python -m pytest -m gpu tests`` runs only these) and skipped, with the
reason, where CUDA is absent."""
import copy
import os.path as osp
import sys

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import vpl_mm  # noqa: F401

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, osp.join(ROOT, 'tests', 'test_tools'))
from _utils import data_options, free_port, run  # noqa: E402

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(
        not torch.cuda.is_available(),
        reason='needs a CUDA GPU (none visible to torch)'),
]
DEMO = osp.join(ROOT, 'configs/demo/vpl_tiny_digits.py')
# the demo's PLM without layer terms: compile refuses forward hooks
DEMO_PLM = osp.join(ROOT, 'configs/demo/vpl_tiny_digits_plm.py')
HEADLINE = osp.join(ROOT, 'configs/vpl_r50_vitb_in1k.py')


def batch(n, size, classes):
    g = torch.Generator().manual_seed(0)
    inputs = [
        torch.randint(0, 256, (3, size, size), generator=g, dtype=torch.uint8)
        for _ in range(n)
    ]
    labels = torch.randint(0, classes, (n, ), generator=g)
    return dict(
        inputs=inputs,
        data_samples=[DataSample().set_gt_label(int(y)) for y in labels])


def amp_steps(config, steps, size, n, **model_options):
    """``steps`` fp16 AMP train steps on CUDA; returns the PLM terms of a
    last forward under the same autocast, and the logged losses."""
    cfg = Config.fromfile(config)
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg.update(model_options)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(model_cfg).cuda()
        model.init_weights()
        optim_cfg = dict(
            cfg.optim_wrapper, type='AmpOptimWrapper', dtype='float16')
        optim = build_optim_wrapper(model, optim_cfg)
    model.train()
    classes = cfg.model.cnn.head.num_classes
    data = batch(n, size, classes)
    logs = [model.train_step(copy.deepcopy(data), optim) for _ in range(steps)]
    processed = model.data_preprocessor(copy.deepcopy(data), True)
    with optim.optim_context(model):
        losses = model(
            processed['inputs'], processed['data_samples'], mode='loss')
    return losses, logs


def check_plm_terms(losses, logs):
    for key in ('loss_cl', 'loss_kl'):
        assert losses[key].dtype == torch.float32, key  # fp32 under AMP
        assert torch.isfinite(losses[key]), key
    for log in logs:
        assert all(torch.isfinite(torch.as_tensor(v)) for v in log.values())


def test_demo_pair_fp16_amp():
    check_plm_terms(*amp_steps(DEMO, 5, 32, 16))


def test_headline_pair_fp16_amp_channels_last():
    losses, logs = amp_steps(HEADLINE, 3, 224, 4, channels_last=['cnn'])
    check_plm_terms(losses, logs)


def test_demo_pair_compiled():
    check_plm_terms(*amp_steps(DEMO_PLM, 3, 32, 16, compile=True))


def test_dist_train_one_gpu_nccl(digits_root, tmp_path):
    log = run([
        'bash',
        osp.join(ROOT, 'tools/dist_train.sh'), DEMO, '1', '--work-dir',
        str(tmp_path), '--cfg-options', *data_options(digits_root),
        'train_cfg.max_epochs=1', 'train_dataloader.dataset.indices=256'
    ],
              env=dict(PORT=str(free_port()), PYTHONPATH=ROOT))
    assert 'Distributed training: True' in log
    assert "'backend': 'nccl'" in log  # MMEngine's env info
    assert osp.exists(tmp_path / 'epoch_1.pth')
