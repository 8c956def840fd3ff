"""Decompress the real Fashion-MNIST for MMPretrain's ``FashionMNIST`` dataset.

Fashion-MNIST (Xiao et al. 2017, Zalando): 60,000 training and 10,000 test
real 28x28 grey product photos, 10 classes. Debian packages the four
official IDX files, gzipped (``apt-get install dataset-fashion-mnist`` puts
them in ``/usr/share/datasets/fashion-mnist``); MMPretrain's ``FashionMNIST``
reads them decompressed from its ``data_root`` (``download=False``: no
network). Layout written::

    data/fashion_mnist/
        train-images-idx3-ubyte   train-labels-idx1-ubyte   (60,000)
        t10k-images-idx3-ubyte    t10k-labels-idx1-ubyte    (10,000)

Each file's IDX header (magic number, dimensions) and size are checked
before anything is written; a missing, truncated or wrong file is refused
with a message naming it. Files are written under temporary names and
renamed into place only once all four are good, so an interrupted or refused
run leaves nothing partial.

Trap (MMPretrain 1.2): ``FashionMNIST`` picks its files by ``test_mode``,
not ``split``: the test split needs ``split='test', test_mode=True``
(``configs/fashion_mnist/_base_/fashion_mnist.py`` does so).

Written by ``tools/dataset_converters/prepare_fashion_mnist.py`` and by the
console script ``vpl-data fashion_mnist`` of an installed wheel.
"""
import gzip
import os
import os.path as osp
import struct
import zlib
from typing import Dict, Optional

import numpy as np

DEBIAN_DIR = '/usr/share/datasets/fashion-mnist'
HOW_TO_GET = ('install the Debian package (apt-get install '
              f'dataset-fashion-mnist, into {DEBIAN_DIR}) or pass --src DIR '
              'with the official *-ubyte.gz files')
# prefix: number of images (the official release)
OFFICIAL_SIZES = {'train': 60000, 't10k': 10000}
SIDE = 28
NUM_CLASSES = 10
# IDX magic numbers: 0x08 = unsigned byte, then the number of dimensions
IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801


class DatasetFileError(ValueError):
    """A source file is missing, truncated or not what it should be."""


def read_idx(path: str, kind: str, count: int) -> bytes:
    """Decompress one official file and check its header and size.

    Args:
        path (str): The ``*-ubyte.gz`` file.
        kind (str): ``'images'`` or ``'labels'``.
        count (int): The number of items it must hold.

    Returns:
        bytes: The decompressed IDX file.

    Raises:
        DatasetFileError: naming the file and what is wrong with it.
    """
    if not osp.isfile(path):
        raise DatasetFileError(f'{path}: missing; {HOW_TO_GET}')
    try:
        with gzip.open(path, 'rb') as f:
            data = f.read()
    except (OSError, EOFError, zlib.error) as e:
        raise DatasetFileError(
            f'{path}: not a complete gzip file ({e}); {HOW_TO_GET}') from e
    magic, dims = ((IMAGES_MAGIC, (count, SIDE, SIDE)) if kind == 'images' else
                   (LABELS_MAGIC, (count, )))
    header = 4 + 4 * len(dims)
    if len(data) < header:
        raise DatasetFileError(f'{path}: {len(data)} bytes, shorter than an '
                               f'IDX header; {HOW_TO_GET}')
    got_magic, *got_dims = struct.unpack(f'>{1 + len(dims)}I', data[:header])
    if got_magic != magic or tuple(got_dims) != dims:
        raise DatasetFileError(
            f'{path}: IDX header says magic {got_magic:#010x}, dimensions '
            f'{tuple(got_dims)}; Fashion-MNIST {kind} need {magic:#010x}, '
            f'{dims}. Is it the right file? {HOW_TO_GET}')
    want = header + int(np.prod(dims))
    if len(data) != want:
        raise DatasetFileError(
            f'{path}: {len(data)} bytes decompressed, the header promises '
            f'{want} (truncated or padded); {HOW_TO_GET}')
    if kind == 'labels' and data[header:] and max(
            data[header:]) >= NUM_CLASSES:
        raise DatasetFileError(f'{path}: a label >= {NUM_CLASSES}')
    return data


def ensure_fashion_mnist(root: str) -> None:
    """Write Fashion-MNIST to ``root`` (from the Debian package) unless it
    is there."""
    if not osp.isfile(osp.join(root, 't10k-labels-idx1-ubyte')):
        prepare_fashion_mnist(out=root)


def prepare_fashion_mnist(
        src: str = DEBIAN_DIR,
        out: str = 'data/fashion_mnist',
        sizes: Optional[Dict[str, int]] = None) -> Dict[str, int]:
    """Check and decompress the four files from ``src`` into ``out``.

    Args:
        src (str): Folder with the official ``*-ubyte.gz`` files.
        out (str): Output folder (``FashionMNIST``'s ``data_root``).
        sizes (dict, optional): Images per file prefix; defaults to the
            official ``{'train': 60000, 't10k': 10000}``.

    Returns:
        dict: Images written per prefix.

    Raises:
        DatasetFileError: for a missing, truncated or wrong file; nothing is
            written then.
    """
    sizes = dict(OFFICIAL_SIZES if sizes is None else sizes)
    files = {}
    for prefix, count in sizes.items():
        for kind, ext in (('images', 'idx3'), ('labels', 'idx1')):
            name = f'{prefix}-{kind}-{ext}-ubyte'
            files[name] = read_idx(osp.join(src, name + '.gz'), kind, count)
    os.makedirs(out, exist_ok=True)
    written = []
    try:
        for name, data in files.items():
            tmp = osp.join(out, f'.{name}.tmp')
            written.append(tmp)
            with open(tmp, 'wb') as f:
                f.write(data)
        for name in files:
            os.replace(osp.join(out, f'.{name}.tmp'), osp.join(out, name))
    finally:
        for tmp in written:
            if osp.exists(tmp):
                os.remove(tmp)
    return sizes
