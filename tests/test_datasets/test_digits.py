"""vpl_mm.datasets.prepare_digits: a subset of classes and images (the
README's own-dataset tutorial) and a folder it must not replace."""
import os

import numpy as np
import pytest
from PIL import Image

from vpl_mm.datasets import prepare_digits


def test_subset_is_the_first_images_of_each_class_of_the_full_split(
        tmp_path, digits_root):
    out = tmp_path / 'few'
    assert prepare_digits(
        str(out), classes=[7, 2], per_class=3) == dict(
            train=6, val=6)
    assert (out / 'classes.txt').read_text().split() == ['2', '7']
    for split in ('train', 'val'):
        assert sorted(os.listdir(out / split)) == ['2', '7']
        for c in ('2', '7'):
            full = sorted(os.listdir(digits_root / split / c))
            assert sorted(os.listdir(out / split / c)) == full[:3]
            first = full[0]
            assert np.array_equal(
                np.asarray(Image.open(out / split / c / first)),
                np.asarray(Image.open(digits_root / split / c / first)))


@pytest.mark.parametrize('kwargs,message', [
    (dict(classes=[1, 1]), 'distinct digits'),
    (dict(classes=[10]), 'distinct digits'),
    (dict(per_class=0), '--per-class must be >= 1'),
])
def test_bad_subset_is_refused(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        prepare_digits(str(tmp_path / 'x'), **kwargs)
    assert not (tmp_path / 'x').exists()


def test_a_folder_of_other_files_is_not_replaced(tmp_path):
    mine = tmp_path / 'photos'
    mine.mkdir()
    (mine / 'holiday.jpg').write_bytes(b'not ours')
    with pytest.raises(ValueError, match='not replaced'):
        prepare_digits(str(mine), per_class=1)
    assert os.listdir(mine) == ['holiday.jpg']
    # an earlier output is replaced
    out = tmp_path / 'digits'
    prepare_digits(str(out), classes=[0, 1], per_class=1)
    prepare_digits(str(out), classes=[3], per_class=2)
    assert sorted(os.listdir(out / 'train')) == ['3']
