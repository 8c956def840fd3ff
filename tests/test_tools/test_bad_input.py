"""Bad data stops training with an error that names the file or folder."""
import os.path as osp
import shutil
import subprocess
import sys

from _utils import PAIR_CONFIG, ROOT, data_options


def train_fails(tmp_path, data_root):
    proc = subprocess.run([
        sys.executable,
        osp.join(ROOT, 'tools/train.py'), PAIR_CONFIG, '--work-dir',
        str(tmp_path / 'work'), '--cfg-options', *data_options(data_root),
        'train_cfg.max_epochs=1'
    ],
                          cwd=ROOT,
                          capture_output=True,
                          text=True,
                          env=dict(__import__('os').environ, PYTHONPATH=ROOT))
    assert proc.returncode != 0
    return proc.stderr


def test_corrupt_image_is_named(digits_root, tmp_path):
    # the ten class folders (the heads predict ten), two images each
    data = tmp_path / 'digits'
    for split in ('train', 'val'):
        for folder in sorted((digits_root / split).iterdir()):
            (data / split / folder.name).mkdir(parents=True)
            for image in sorted(folder.iterdir())[:2]:
                shutil.copy(image, data / split / folder.name)
    corrupt = data / 'train' / '3' / 'corrupt.png'
    corrupt.write_bytes(b'not a png')
    assert f'failed to load image: {corrupt}' in train_fails(tmp_path, data)


def test_empty_dataset_is_named(tmp_path):
    data = tmp_path / 'empty'
    (data / 'train').mkdir(parents=True)
    (data / 'val').mkdir()
    err = train_fails(tmp_path, data)
    assert 'Found 0 files' in err and str(data / 'train') in err
