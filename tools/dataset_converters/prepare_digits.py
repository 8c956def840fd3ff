"""Write scikit-learn's bundled handwritten digits as an image-folder dataset.

The digits (1,797 real 8x8 grey images of 10 classes, from the UCI "Optical
Recognition of Handwritten Digits" set) ship inside scikit-learn, so the main
job needs no download. Layout, as ImageNet's (MMPretrain ``CustomDataset``)::

    data/digits/
        train/0/0000.png ... train/9/...   (1,437 images)
        val/0/....png    ... val/9/...     (360 images)
        classes.txt

The split is fixed: a stratified 80/20 split with ``random_state=0``. Images
are scaled from 0..16 to 0..255 and upscaled (bilinear) to ``--size`` px.

Usage::

    python tools/dataset_converters/prepare_digits.py [--out-dir data/digits]
"""
import argparse
import os
import os.path as osp
import shutil
import tempfile

import numpy as np
from PIL import Image

VAL_FRACTION = 0.2
SPLIT_SEED = 0


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--out-dir', default='data/digits', help='where to write the dataset')
    parser.add_argument(
        '--size',
        type=int,
        default=32,
        help='side of the written images in pixels')
    return parser.parse_args(argv)


def prepare_digits(out_dir: str = 'data/digits', size: int = 32) -> dict:
    """Write the dataset; replaces ``out_dir`` as a whole.

    Args:
        out_dir (str): Output folder.
        size (int): Side of the written images in pixels.

    Returns:
        dict: Number of images written per split.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if size < 8:
        raise ValueError(f'--size must be >= 8 (the digits are 8x8), got '
                         f'{size}')
    digits = load_digits()
    images = np.round(digits.images * (255 / 16)).astype(np.uint8)
    indices = np.arange(len(images))
    train_idx, val_idx = train_test_split(
        indices,
        test_size=VAL_FRACTION,
        stratify=digits.target,
        random_state=SPLIT_SEED)
    parent = osp.dirname(osp.abspath(out_dir))
    os.makedirs(parent, exist_ok=True)
    # Write next to the target, then swap in: an interrupted run never leaves
    # a half-written dataset behind.
    tmp = tempfile.mkdtemp(prefix='.digits-', dir=parent)
    try:
        counts = {}
        for split, idx in (('train', train_idx), ('val', val_idx)):
            for i in sorted(idx):
                folder = osp.join(tmp, split, str(digits.target[i]))
                os.makedirs(folder, exist_ok=True)
                Image.fromarray(images[i]).resize(
                    (size, size),
                    Image.BILINEAR).save(osp.join(folder, f'{i:04d}.png'))
            counts[split] = len(idx)
        with open(osp.join(tmp, 'classes.txt'), 'w') as f:
            f.write('\n'.join(str(c) for c in digits.target_names) + '\n')
        if osp.exists(out_dir):
            shutil.rmtree(out_dir)
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return counts


def main(argv=None):
    args = parse_args(argv)
    counts = prepare_digits(args.out_dir, args.size)
    print(f'digits: wrote {counts} images of {args.size}x{args.size} px to '
          f'{args.out_dir}')


if __name__ == '__main__':
    main()
