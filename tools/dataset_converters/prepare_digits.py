"""Write scikit-learn's real handwritten digits as an ImageNet-style folder
dataset (:mod:`vpl_mm.datasets.digits`; the console script ``vpl-data
digits`` is the same).

Usage::

    python tools/dataset_converters/prepare_digits.py [--out-dir data/digits]
        [--size 32] [--classes C ...] [--per-class N]
"""
import sys

from vpl_mm.cli import data

if __name__ == '__main__':
    data(['digits', *sys.argv[1:]])
