import os
import os.path as osp

import numpy as np
from _utils import ROOT, python
from PIL import Image


def listing(root):
    return sorted(
        osp.relpath(osp.join(d, f), root) for d, _, files in os.walk(root)
        for f in files)


def test_layout_and_split(digits_root):
    from sklearn.datasets import load_digits
    digits = load_digits()
    files = listing(digits_root)
    train = [f for f in files if f.startswith('train')]
    val = [f for f in files if f.startswith('val')]
    assert (len(train), len(val)) == (1437, 360)
    assert 'classes.txt' in files
    # stratified: every class has its ~20% share in val
    for c in range(10):
        n_val = sum(f.startswith(f'val/{c}/') for f in val)
        n_all = int((digits.target == c).sum())
        assert abs(n_val - 0.2 * n_all) <= 1
    # file names are indices into sklearn's digits and folders their labels
    # train and val are disjoint
    idx = {int(osp.basename(f)[:4]) for f in files if f.endswith('.png')}
    assert idx == set(range(1797))
    for f in files[:50]:
        if f.endswith('.png'):
            assert int(f.split('/')[1]) == digits.target[int(
                osp.basename(f)[:4])]


def test_images_are_the_upscaled_digits(digits_root):
    from sklearn.datasets import load_digits
    digits = load_digits()
    path = next(
        osp.join(d, f) for d, _, files in os.walk(digits_root / 'val')
        for f in files)
    img = Image.open(path)
    assert img.size == (32, 32) and img.mode == 'L'
    # averaging 4x4 blocks recovers the original 8x8 image (0..16 scale)
    arr = np.asarray(img, dtype=np.float64) * 16 / 255
    down = arr.reshape(8, 4, 8, 4).mean(axis=(1, 3))
    original = digits.images[int(osp.basename(path)[:4])]
    assert np.abs(down - original).mean() < 1.5
    assert np.corrcoef(down.ravel(), original.ravel())[0, 1] > 0.95


def test_fixed_split_and_size_option(tmp_path, digits_root):
    out = tmp_path / 'd16'
    python('tools/dataset_converters/prepare_digits.py', '--out-dir', str(out),
           '--size', '16')
    assert listing(out) == listing(digits_root)
    with Image.open(out / 'train' / '0' /
                    sorted(os.listdir(out / 'train' / '0'))[0]) as img:
        assert img.size == (16, 16)


def test_rejects_too_small_size(tmp_path):
    import subprocess
    import sys
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/dataset_converters/prepare_digits.py'),
        '--out-dir',
        str(tmp_path / 'x'), '--size', '4'
    ],
                          capture_output=True,
                          text=True)
    assert proc.returncode != 0 and '--size must be >= 8' in proc.stderr
    assert not (tmp_path / 'x').exists()
