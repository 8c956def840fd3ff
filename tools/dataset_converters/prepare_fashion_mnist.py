"""Check and decompress the real Fashion-MNIST for MMPretrain's
``FashionMNIST`` (:mod:`vpl_mm.datasets.fashion_mnist`; the console script
``vpl-data fashion_mnist`` is the same).

Usage::

    python tools/dataset_converters/prepare_fashion_mnist.py \\
        [--src /usr/share/datasets/fashion-mnist] [--out data/fashion_mnist]
"""
import sys

from vpl_mm.cli import data

if __name__ == '__main__':
    data(['fashion_mnist', *sys.argv[1:]])
