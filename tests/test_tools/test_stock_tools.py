"""MMPretrain's stock analysis and visualisation tools on a pair config."""
import os.path as osp

import mmpretrain
import pytest
from _utils import PAIR_CONFIG, ROOT, python

TOOLS = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools')


def test_get_flops_per_branch_equals_the_solo_configs(tmp_path):
    import re
    pair = python('tools/analysis/get_flops.py', PAIR_CONFIG, '--shape', '32')
    summary = pair[pair.rindex('PairClassifier'):]
    for branch in ('cnn', 'trans'):
        solo = python(
            osp.join(TOOLS, 'analysis_tools', 'get_flops.py'),
            osp.join(ROOT, f'configs/demo/solo_{branch}_tiny_digits.py'),
            '--shape', '32')
        params, flops = (
            re.search(rf'^{key}: (\S+)$', solo, re.M).group(1)
            for key in ('Params', 'Flops'))
        assert re.search(
            rf'^branch {branch}: Params: {re.escape(params)}, '
            rf'Flops: {re.escape(flops)}', summary, re.M), (summary, solo)
    assert re.search(r'^branch trans: .*\(pred_branch', summary, re.M)
    # the PLM's affine layer (CNN 128-d -> ViT 96-d) is training-only
    assert 'training only' in summary and '12384 params' in summary


def test_browse_dataset_pipeline_on_a_pair_config(digits_root, tmp_path):
    python(
        osp.join(TOOLS, 'visualization', 'browse_dataset.py'), PAIR_CONFIG,
        '--mode', 'pipeline', '--not-show', '-o', str(tmp_path), '-n', '2',
        '--cfg-options', f'train_dataloader.dataset.data_root={digits_root}')
    pngs = sorted(tmp_path.glob('*.png'))
    assert len(pngs) == 2
    from PIL import Image
    assert Image.open(pngs[0]).size[0] > 100  # a drawn grid of stages


def test_extracted_branch_config_has_a_visualizer(trained_pair, tmp_path):
    from mmengine.config import Config

    from vpl_mm.export import extract_branch
    cfg_path, _ = extract_branch(*trained_pair, 'cnn', str(tmp_path))
    visualizer = Config.fromfile(cfg_path).visualizer
    assert visualizer.type == 'UniversalVisualizer'
    assert '_scope_' not in visualizer


def test_pair_metric_offline_on_a_test_pickle(trained_pair, tmp_path):
    import re
    preds = tmp_path / 'preds.pkl'
    config, checkpoint = trained_pair
    log = python('tools/test.py', config, checkpoint, '--work-dir',
                 str(tmp_path), '--out', str(preds))
    out = python('tools/analysis/eval_metric.py', str(preds), '--metric',
                 'type=PairMetric', 'metric=Accuracy', 'topk=1,5')
    pattern = r"([\w]+/accuracy/top\d)'?: ([\d.]+)"
    # the online numbers: test.py's own log line
    online = dict(re.findall(pattern, log.split('Epoch(test)')[-1]))
    offline = dict(re.findall(pattern, out))
    keys = {f'{b}/accuracy/top{k}' for b in ('cnn', 'trans') for k in (1, 5)}
    assert set(offline) == keys and set(online) >= keys, (online, offline)
    for key in keys:
        assert float(offline[key]) == pytest.approx(
            float(online[key]), abs=1e-3), key
