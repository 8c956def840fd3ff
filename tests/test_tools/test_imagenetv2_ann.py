import os.path as osp

import pytest
from _utils import ROOT, python
from mmengine.config import Config
from PIL import Image

import vpl_mm  # noqa: F401


def test_labels_follow_folder_numbers(tmp_path):
    root = tmp_path / 'imagenetv2' / 'imagenetv2-matched-frequency-format-val'
    for label in (0, 2, 10, 999):
        (root / str(label)).mkdir(parents=True)
        Image.new('RGB', (8, 8)).save(root / str(label) / 'a.jpeg')
    ann = tmp_path / 'imagenetv2' / 'meta' / 'matched_frequency.txt'
    out = python('tools/dataset_converters/imagenetv2_ann.py', str(root),
                 '--out', str(ann))
    assert 'wrote 4 images' in out
    # the V2 eval config reads it with the ImageNet classes
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import DATASETS
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/eval/vpl_r50_vitb_in1k_v2.py'))
    dataset_cfg = cfg.test_dataloader.dataset
    dataset_cfg.data_root = str(tmp_path / 'imagenetv2')
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        dataset = DATASETS.build(dataset_cfg)
    labels = {
        osp.basename(osp.dirname(dataset.get_data_info(i)['img_path'])):
        dataset.get_data_info(i)['gt_label']
        for i in range(4)
    }
    # not the sorted-folder order ('10' before '2')
    assert labels == {'0': 0, '2': 2, '10': 10, '999': 999}
    assert len(dataset.metainfo['classes']) == 1000


def test_rejects_other_folders(tmp_path):
    from importlib import util
    spec = util.spec_from_file_location(
        'ann', osp.join(ROOT, 'tools/dataset_converters/imagenetv2_ann.py'))
    module = util.module_from_spec(spec)
    spec.loader.exec_module(module)
    (tmp_path / 'n01440764').mkdir()
    with pytest.raises(ValueError, match='named 0 ... 999'):
        module.write_annotations(str(tmp_path), str(tmp_path / 'a.txt'))
