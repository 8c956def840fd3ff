"""benchmarks.time_to_models: a run's parts add up to its wall time, and
the two-run route is the solo CNN plus its distillation, repeat by
repeat."""
import json

import pytest

from benchmarks import time_to_models

TINY = [
    'train_dataloader.dataset.indices=64', 'val_dataloader.dataset.indices=64',
    'train_cfg.max_epochs=2', 'param_scheduler.1.end=2'
]


def test_parts_sum_to_the_wall_time(fashion_mnist_root, tmp_path):
    summary = time_to_models.main([
        '--joint', 'configs/fashion_mnist/vpl_tiny_fmnist_oneway_ema.py',
        '--dis', 'configs/fashion_mnist/dis_tiny_fmnist_feat2.py', '--repeats',
        '1', '--data-root',
        str(fashion_mnist_root), '--work-dir',
        str(tmp_path / 'work'), '--out',
        str(tmp_path), '--options', *TINY
    ])
    result = json.loads((tmp_path / 'time_to_models.json').read_text())
    for kind, (record, ) in result['runs'].items():
        parts = [record[p] for p in time_to_models.PARTS]
        assert all(p >= 0 for p in parts), (kind, record)
        assert sum(parts) == pytest.approx(record['wall'], rel=1e-9)
        assert record['step'] > 0 and record['val'] > 0
    runs = result['runs']
    assert summary['two_run']['wall']['median'] == pytest.approx(
        runs['solo_cnn'][0]['wall'] + runs['dis'][0]['wall'])
    assert summary['joint_over_two_run']['median'] == pytest.approx(
        runs['joint'][0]['wall'] / summary['two_run']['wall']['median'])
    text = (tmp_path / 'time_to_models.md').read_text()
    assert '| two_run |' in text and 'joint / two-run wall time' in text


def test_summary_takes_medians_and_ranges():
    runs = {
        kind: [
            dict(wall=w, **{p: w / 6
                            for p in time_to_models.PARTS}) for w in walls
        ]
        for kind, walls in (('joint', [3., 1., 2.]),
                            ('solo_cnn', [1., 1., 1.]), ('dis', [2., 3., 4.]))
    }
    summary = time_to_models.summarise(runs)
    assert summary['joint']['wall'] == dict(median=2., low=1., high=3.)
    assert summary['two_run']['wall'] == dict(median=4., low=3., high=5.)
    # ratios repeat by repeat: 3/3, 1/4, 2/5
    assert summary['joint_over_two_run'] == dict(
        median=pytest.approx(0.4), low=0.25, high=1.0)
