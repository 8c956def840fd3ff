"""Write scikit-learn's bundled handwritten digits as an image-folder dataset.

The digits (1,797 real 8x8 grey images of 10 classes, from the UCI "Optical
Recognition of Handwritten Digits" set) ship inside scikit-learn, so the main
job needs no download. Layout, as ImageNet's (MMPretrain ``CustomDataset``)::

    data/digits/
        train/0/0000.png ... train/9/...   (1,437 images)
        val/0/....png    ... val/9/...     (360 images)
        classes.txt

The split is fixed: a stratified 80/20 split with ``random_state=0``. Images
are scaled from 0..16 to 0..255 and upscaled (bilinear) to ``size`` px. A
subset (some classes, a few images of each) stands in for a user's own
folder of images (the README's "your own dataset").

Written by ``tools/dataset_converters/prepare_digits.py`` and by the console
script ``vpl-data digits`` of an installed wheel.
"""
import os
import os.path as osp
import shutil
import tempfile
from typing import Dict, Optional, Sequence

import numpy as np
from PIL import Image

VAL_FRACTION = 0.2
SPLIT_SEED = 0


def prepare_digits(out_dir: str = 'data/digits',
                   size: int = 32,
                   classes: Optional[Sequence[int]] = None,
                   per_class: Optional[int] = None) -> Dict[str, int]:
    """Write the dataset; replaces ``out_dir`` as a whole.

    Args:
        out_dir (str): Output folder. An existing one is replaced only if it
            is empty or an earlier output (it holds ``classes.txt``).
        size (int): Side of the written images in pixels.
        classes (Sequence[int], optional): The digits to write, one class
            folder each (``classes.txt`` lists them in the folders' sorted
            order, which is ``CustomDataset``'s class order). Defaults to
            all 10.
        per_class (int, optional): Write only the first ``per_class`` images
            of each class in each split (of the fixed split). Defaults to
            all.

    Returns:
        dict: Number of images written per split.

    Example:
        >>> import tempfile, os.path as osp
        >>> out = osp.join(tempfile.mkdtemp(), 'few')
        >>> prepare_digits(out, classes=[5, 3], per_class=4)
        {'train': 8, 'val': 8}
        >>> open(osp.join(out, 'classes.txt')).read().split()
        ['3', '5']
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    if size < 8:
        raise ValueError(f'--size must be >= 8 (the digits are 8x8), got '
                         f'{size}')
    digits = load_digits()
    wanted = list(digits.target_names if classes is None else classes)
    classes = sorted(set(wanted))
    if (set(classes) - set(digits.target_names.tolist())
            or len(classes) != len(wanted) or not classes):
        raise ValueError(f'--classes must be distinct digits 0-9, got '
                         f'{wanted}')
    if per_class is not None and per_class < 1:
        raise ValueError(f'--per-class must be >= 1, got {per_class}')
    if osp.isdir(out_dir) and os.listdir(out_dir) and not osp.isfile(
            osp.join(out_dir, 'classes.txt')):
        raise ValueError(f'{out_dir} holds files that are not an earlier '
                         'output of this tool (no classes.txt): not '
                         'replaced; choose another --out-dir')
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
            kept = [
                i for c in classes
                for i in sorted(idx[digits.target[idx] == c])[:per_class]
            ]
            for i in sorted(kept):
                folder = osp.join(tmp, split, str(digits.target[i]))
                os.makedirs(folder, exist_ok=True)
                Image.fromarray(images[i]).resize(
                    (size, size),
                    Image.BILINEAR).save(osp.join(folder, f'{i:04d}.png'))
            counts[split] = len(kept)
        with open(osp.join(tmp, 'classes.txt'), 'w') as f:
            f.write('\n'.join(str(c) for c in classes) + '\n')
        if osp.exists(out_dir):
            shutil.rmtree(out_dir)
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return counts


def ensure_digits(data_root: str) -> None:
    """Write the whole dataset to ``data_root`` unless a complete copy
    (1,797 images) is there."""
    count = sum(
        len([f for f in files if f.endswith('.png')])
        for _, _, files in os.walk(data_root))
    if count != 1797:
        prepare_digits(data_root)
