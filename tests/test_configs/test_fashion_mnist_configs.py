"""configs/fashion_mnist/ on the real Fashion-MNIST: the splits are what
the configs say (and MMPretrain's split trap stays avoided), and every
config trains, validates and tests one step with its real branches."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope
from mmpretrain.registry import DATASETS, MODELS
from tiny_models import with_teacher

import vpl_mm  # noqa: F401
from vpl_mm.models.utils import set_training_progress

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
FOLDER = osp.join(ROOT, 'configs', 'fashion_mnist')
# R1's configs and R2's (the thin CNN), each with its real branches
CONFIGS = sorted(
    glob.glob(osp.join(FOLDER, '*.py')) +
    glob.glob(osp.join(ROOT, 'configs', 'fashion_mnist_crossover', '*.py')))


def build_dataset(cfg, root):
    cfg = copy.deepcopy(cfg)
    cfg['data_root'] = str(root)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        return DATASETS.build(cfg)


def test_official_sizes_and_the_split_trap(fashion_mnist_root):
    from mmpretrain.datasets import FashionMNIST
    root = str(fashion_mnist_root)
    assert len(FashionMNIST(root, split='train', download=False)) == 60000
    assert len(
        FashionMNIST(root, split='test', test_mode=True,
                     download=False)) == 10000
    # MMPretrain 1.2 picks the files by test_mode: split='test' alone gives
    # the training images. If this canary fails, upstream changed: re-check
    # configs/fashion_mnist/_base_/fashion_mnist.py's test split.
    assert len(FashionMNIST(root, split='test', download=False)) == 60000


def test_config_splits(fashion_mnist_root):
    cfg = Config.fromfile(osp.join(FOLDER, 'vpl_tiny_fmnist.py'))
    train = build_dataset(cfg.train_dataloader.dataset, fashion_mnist_root)
    val = build_dataset(cfg.val_dataloader.dataset, fashion_mnist_root)
    test = build_dataset(cfg.test_dataloader.dataset, fashion_mnist_root)
    assert (len(train), len(val), len(test)) == (12000, 5000, 10000)
    # val is carved from the training file, disjoint from the train subset
    assert max(range(cfg.train_size)) < min(cfg.val_indices)
    assert cfg.val_dataloader.dataset.split == 'train'
    assert not cfg.val_dataloader.dataset.get('test_mode', False)
    full = build_dataset(
        dict(cfg.val_dataloader.dataset, indices=None), fashion_mnist_root)
    import numpy as np
    assert np.array_equal(
        val.get_data_info(0)['img'],
        full.get_data_info(55000)['img'])
    # >= 1,000 training images of every class
    counts = np.bincount(
        [int(train.get_data_info(i)['gt_label']) for i in range(len(train))],
        minlength=10)
    assert counts.min() >= 1000, counts


# the Runner's whole path (hooks, dataloaders, evaluators) for one config of
# each kind: the folder's configs share their data, schedule and evaluators
# (_base_/fashion_mnist.py) and differ in their model
RUNNER_CONFIGS = [
    osp.join(FOLDER, name)
    for name in ('vpl_tiny_fmnist.py', 'dis_tiny_fmnist.py',
                 '../fashion_mnist_crossover/vpl_tiny_fmnist.py')
]


@pytest.mark.parametrize(
    'path',
    RUNNER_CONFIGS,
    ids=[osp.relpath(p, FOLDER) for p in RUNNER_CONFIGS])
def test_config_trains_validates_and_tests_one_step(path, fashion_mnist_root,
                                                    tmp_path):
    from mmengine.runner import Runner
    cfg = with_teacher(Config.fromfile(path), tmp_path)
    root = str(fashion_mnist_root)
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].dataset.data_root = root
        cfg[name].dataset.indices = 4
        cfg[name].batch_size = 4
    cfg.work_dir = str(tmp_path)
    cfg.train_cfg.max_epochs = 1
    cfg.param_scheduler = cfg.param_scheduler[:1]
    cfg.default_hooks.checkpoint = None
    cfg.pop('model_wrapper_cfg', None)
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = runner.test()
    scalars = runner.message_hub.log_scalars
    assert 'train/loss' in scalars
    assert any(k.startswith('val/') and 'accuracy/top1' in k
               for k in scalars), list(scalars)
    assert any('accuracy/top1' in k for k in metrics), metrics


@pytest.mark.parametrize(
    'path', CONFIGS, ids=[osp.relpath(p, FOLDER) for p in CONFIGS])
def test_config_takes_a_train_and_a_val_step(path, tmp_path):
    """Every config's model (its real branches and terms, a teacher loaded
    where it has one) and optimizer: a train step with every PLM term on,
    finite, then a val step."""
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.structures import DataSample
    cfg = with_teacher(Config.fromfile(path), tmp_path)
    cfg.model.setdefault('data_preprocessor', cfg.data_preprocessor)
    set_training_progress(0, 10)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
        model.init_weights()
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    if hasattr(model, 'pair_head'):
        model.pair_head.activate(['cl', 'kl'])
    g = torch.Generator().manual_seed(0)
    data = dict(
        inputs=[
            torch.randint(0, 256, (1, 28, 28), generator=g, dtype=torch.uint8)
            for _ in range(4)
        ],
        data_samples=[DataSample().set_gt_label(i) for i in range(4)])
    model.train()
    log = model.train_step(copy.deepcopy(data), wrapper)
    assert log and all(
        torch.isfinite(torch.as_tensor(v)) for v in log.values()), log
    model.eval()
    with torch.no_grad():
        outputs = model.val_step(copy.deepcopy(data))
    assert len(outputs) == 4


ONE_WAY = sorted(
    glob.glob(osp.join(FOLDER, 'vpl_tiny_fmnist_oneway*.py')) +
    [osp.join(FOLDER, 'vpl_tiny_fmnist_disttoken.py')])


@pytest.mark.parametrize(
    'path', ONE_WAY, ids=[osp.basename(p) for p in ONE_WAY])
def test_one_way_pair_cnn_learns_from_its_labels_alone(path):
    """The one-way pairs (rounds three to six, the EMA sources included):
    with every PLM term on (the "CL + KL" stage), the CNN's gradient is its
    cross-entropy's (eq. 1) exactly, while the transformer's gets the PLM
    terms too."""
    from mmpretrain.structures import DataSample
    assert len(ONE_WAY) == 11
    set_training_progress(100, 1000)
    cfg = Config.fromfile(path)
    torch.manual_seed(0)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = MODELS.build(cfg.model)
    model.pair_head.activate(['cl', 'kl'])
    inputs = torch.randn(8, 1, 28, 28)
    samples = [DataSample().set_gt_label(i % 10) for i in range(8)]

    def grads(keys):
        model.zero_grad()
        losses = model.loss(inputs, samples)
        assert {'loss_cl', 'loss_kl', 'loss_feat'} <= set(losses)
        sum(v for k, v in losses.items() if k in keys).backward()
        return {
            n: p.grad.clone()
            for n, p in model.named_parameters() if p.grad is not None
        }

    every = grads(
        ('loss_cnn', 'loss_trans', 'loss_cl', 'loss_kl', 'loss_feat'))
    labels_only = grads(('loss_cnn', 'loss_trans'))
    cnn = [n for n in every if n.startswith('cnn.')]
    assert cnn
    for n in cnn:
        torch.testing.assert_close(every[n], labels_only[n], msg=n)
    trans = [n for n in labels_only if n.startswith('trans.backbone')]
    assert any(not torch.allclose(every[n], labels_only[n]) for n in trans)
