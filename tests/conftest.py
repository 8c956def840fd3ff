import copy
import os
import os.path as osp
import sys

import pytest
import torch
from tiny_models import TINY_CNN, TINY_TRANS

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

if os.environ.get('PYTEST_XDIST_WORKER'):
    # one of pytest-xdist's workers (the README's test command runs one per
    # core): one thread each, for its own tests and the runs they start, so
    # the workers do not oversubscribe the cores
    os.environ['OMP_NUM_THREADS'] = '1'
    torch.set_num_threads(1)

# the folders of the long runs first, so that the workers (the README's test
# command gives each a whole file: its module fixtures run once) finish
# together instead of one waiting on the other's last long file
LONG_FIRST = ('tests/test_tools/', 'tests/test_benchmarks/',
              'tests/test_configs/')


def pytest_collection_modifyitems(items):

    def rank(item):
        for i, folder in enumerate(LONG_FIRST):
            if item.nodeid.startswith(folder):
                return i
        return len(LONG_FIRST)

    items.sort(key=rank)


@pytest.fixture
def tiny_cnn_cfg():
    return copy.deepcopy(TINY_CNN)


@pytest.fixture
def tiny_trans_cfg():
    return copy.deepcopy(TINY_TRANS)


@pytest.fixture
def pair_cfg():
    return dict(
        type='PairClassifier',
        cnn=copy.deepcopy(TINY_CNN),
        trans=copy.deepcopy(TINY_TRANS))


@pytest.fixture
def batch():
    """Eight random 32x32 images with labels."""
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(0)
    inputs = torch.randn(8, 3, 32, 32, generator=g)
    labels = torch.randint(0, 10, (8, ), generator=g)
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    return inputs, samples


@pytest.fixture(scope='session')
def digits_root(tmp_path_factory):
    """The real digits dataset, written once per test session."""
    from vpl_mm.datasets import prepare_digits
    out = tmp_path_factory.mktemp('data') / 'digits'
    prepare_digits(str(out))
    return out


@pytest.fixture(scope='session')
def trained_pair(digits_root, tmp_path_factory):
    """The demo pair trained 2 epochs (256 images) with an EMA of both
    branches: ``(config, checkpoint)``."""
    import subprocess
    work = tmp_path_factory.mktemp('trained_pair')
    config = work / 'vpl_ema.py'
    demo = osp.join(ROOT, 'configs/demo/vpl_tiny_digits.py')
    root = str(digits_root)
    config.write_text('\n'.join([
        f'_base_ = [{demo!r}]',
        f'train_dataloader = dict(dataset=dict(data_root={root!r}, '
        'indices=256))',
        f'val_dataloader = dict(dataset=dict(data_root={root!r}))',
        f'test_dataloader = dict(dataset=dict(data_root={root!r}))',
        'train_cfg = dict(max_epochs=2)',
        'custom_hooks = [dict(type="StageSwitchHook"),',
        '                dict(type="EMAHook", momentum=0.5)]',
    ]))
    env = dict(os.environ, PYTHONPATH=ROOT)
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/train.py'),
        str(config), '--work-dir',
        str(work)
    ],
                          env=env,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return str(config), str(work / 'epoch_2.pth')


@pytest.fixture(scope='session')
def fashion_mnist_root(tmp_path_factory):
    """The real Fashion-MNIST, decompressed once per test session from the
    Debian package that the README's test command installs."""
    from vpl_mm.datasets import DatasetFileError, prepare_fashion_mnist
    from vpl_mm.datasets.fashion_mnist import DEBIAN_DIR
    out = tmp_path_factory.mktemp('data') / 'fashion_mnist'
    try:
        prepare_fashion_mnist(DEBIAN_DIR, str(out))
    except DatasetFileError as e:
        pytest.fail(f'the real Fashion-MNIST is needed: {e}')
    return out
