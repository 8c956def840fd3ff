"""vpl_mm.datasets.prepare_fashion_mnist (and its tool) on tiny IDX files of
our own: good files are decompressed for MMPretrain's FashionMNIST; a
missing, truncated or wrong file is refused by name, with nothing written."""
import gzip
import os
import os.path as osp
import struct
import subprocess
import sys

import numpy as np
import pytest

from vpl_mm.datasets import DatasetFileError, prepare_fashion_mnist

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

SIZES = {'train': 6, 't10k': 4}


def idx_bytes(array, magic):
    header = struct.pack(f'>{1 + array.ndim}I', magic, *array.shape)
    return header + array.astype(np.uint8).tobytes()


def write_official(folder, sizes=SIZES, seed=0):
    """The four ``*-ubyte.gz`` files, as the official release names them."""
    rng = np.random.default_rng(seed)
    arrays = {}
    for prefix, n in sizes.items():
        images = rng.integers(0, 256, (n, 28, 28))
        labels = rng.integers(0, 10, n)
        arrays[prefix] = (images, labels)
        for name, data in ((f'{prefix}-images-idx3-ubyte',
                            idx_bytes(images,
                                      0x803)), (f'{prefix}-labels-idx1-ubyte',
                                                idx_bytes(labels, 0x801))):
            with gzip.open(osp.join(folder, name + '.gz'), 'wb') as f:
                f.write(data)
    return arrays


def test_good_files_load_in_mmpretrain(tmp_path):
    from mmpretrain.datasets import FashionMNIST
    src, out = tmp_path / 'src', tmp_path / 'out'
    src.mkdir()
    arrays = write_official(str(src))
    assert prepare_fashion_mnist(str(src), str(out), SIZES) == SIZES
    assert sorted(os.listdir(out)) == [
        't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte',
        'train-images-idx3-ubyte', 'train-labels-idx1-ubyte'
    ]
    train = FashionMNIST(data_root=str(out), split='train', download=False)
    test = FashionMNIST(
        data_root=str(out), split='test', test_mode=True, download=False)
    assert (len(train), len(test)) == (6, 4)
    images, labels = arrays['t10k']
    assert np.array_equal(test.get_data_info(2)['img'], images[2])
    assert int(test.get_data_info(3)['gt_label']) == labels[3]


def corrupt(path, how):
    if how == 'missing':
        os.remove(path)
    elif how == 'truncated gzip':
        data = open(path, 'rb').read()
        open(path, 'wb').write(data[:len(data) // 2])
    else:
        data = gzip.open(path).read()
        if how == 'wrong magic':
            data = struct.pack('>I', 0x801) + data[4:]
        elif how == 'short':  # the header promises more than is there
            data = data[:-28]
        with gzip.open(path, 'wb') as f:
            f.write(data)


@pytest.mark.parametrize('how,message', [
    ('missing', 'missing; install the Debian package'),
    ('truncated gzip', 'not a complete gzip file'),
    ('wrong magic', 'IDX header says magic 0x00000801'),
    ('short', 'truncated or padded'),
])
def test_bad_file_is_refused_by_name_and_nothing_is_written(
        tmp_path, how, message):
    src, out = tmp_path / 'src', tmp_path / 'out'
    src.mkdir()
    write_official(str(src))
    bad = src / 't10k-images-idx3-ubyte.gz'
    corrupt(str(bad), how)
    with pytest.raises(DatasetFileError, match=message) as info:
        prepare_fashion_mnist(str(src), str(out), SIZES)
    assert str(bad) in str(info.value)
    assert not out.exists() or os.listdir(out) == []


def test_wrong_count_and_cli_message(tmp_path):
    src, out = tmp_path / 'src', tmp_path / 'out'
    src.mkdir()
    write_official(str(src))
    # the official sizes (60,000 / 10,000) are the default: tiny files fail
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/dataset_converters/prepare_fashion_mnist.py'),
        '--src',
        str(src), '--out',
        str(out)
    ],
                          env=dict(os.environ, PYTHONPATH=ROOT),
                          capture_output=True,
                          text=True)
    assert proc.returncode == 1 and 'Traceback' not in proc.stderr
    assert 'train-images-idx3-ubyte.gz' in proc.stderr
    assert '(60000, 28, 28)' in proc.stderr
    assert not out.exists() or os.listdir(out) == []
