import json

import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.registry import METRICS

import vpl_mm  # noqa: F401

# val images 1..5: real label sets (image 4 has none: skipped)
REAL = [[0], [1, 2], [3], [], [2]]


def sample(index, scores):
    return dict(
        img_path=f'data/imagenet/val/ILSVRC2012_val_{index:08d}.JPEG',
        pred_score=torch.tensor(scores))


SAMPLES = [
    sample(1, [.6, .3, .1, .0]),  # top1 0: in {0}
    sample(2, [.1, .2, .6, .1]),  # top1 2: in {1, 2}
    sample(3, [.5, .1, .1, .3]),  # top1 0 not in {3}; top2 {0, 3}: yes
    sample(4, [.9, .1, .0, .0]),  # no real labels: skipped
    sample(5, [.4, .3, .2, .1]),  # top1 0, top2 {0, 1}: not in {2}
]


@pytest.fixture
def real_json(tmp_path):
    path = tmp_path / 'real.json'
    path.write_text(json.dumps(REAL))
    return str(path)


def test_hand_made_real_json(real_json):
    metric = METRICS.build(
        dict(type='RealAccuracy', real_json=real_json, topk=(1, 2)))
    evaluator = Evaluator(metric)
    evaluator.process(SAMPLES)
    # 4 images counted; top1 right on images 1, 2; top2 on 1, 2, 3
    assert evaluator.evaluate(len(SAMPLES)) == pytest.approx({
        'real/top1': 50.0,
        'real/top2': 75.0
    })


def test_under_pair_metric(real_json):
    metric = METRICS.build(
        dict(
            type='PairMetric',
            metric=dict(type='RealAccuracy', real_json=real_json, topk=(1, )),
            branches=('cnn', )))
    metric.process(None, [dict(cnn=s) for s in SAMPLES])
    assert metric.evaluate(len(SAMPLES)) == pytest.approx(
        {'cnn/real/top1': 50.0})


def test_needs_val_file_names(real_json):
    metric = METRICS.build(dict(type='RealAccuracy', real_json=real_json))
    with pytest.raises(ValueError, match='ILSVRC2012_val_XXXXXXXX'):
        metric.process(None,
                       [dict(img_path='x.png', pred_score=torch.zeros(4))])
    with pytest.raises(ValueError, match='no entry 9'):
        metric.process(None, [sample(9, [0., 0., 0., 0.])])


def _dist_worker(rank, init_file, real_json, out):
    import torch.distributed as dist
    from mmengine.dataset import DefaultSampler
    dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    # MMEngine's sampler pads 5 images to 6: rank 0 gets 1, 3, 5; rank 1
    # gets 2, 4 and image 1 again
    indices = list(DefaultSampler(SAMPLES, shuffle=False))
    evaluator = Evaluator(
        METRICS.build(
            dict(type='RealAccuracy', real_json=real_json, topk=(1, 2))))
    evaluator.process([SAMPLES[i] for i in indices])
    torch.save(
        dict(indices=indices, metrics=evaluator.evaluate(len(SAMPLES))),
        f'{out}.{rank}')
    dist.destroy_process_group()


def test_distributed_with_padding_equals_one_process(real_json, tmp_path):
    """2 processes, 5 images (one without labels): MMEngine trims the
    sampler's padding by position, so every image must leave a result."""
    import torch.multiprocessing as mp
    out = str(tmp_path / 'result')
    mp.spawn(
        _dist_worker, args=(str(tmp_path / 'init'), real_json, out), nprocs=2)
    ranks = [torch.load(f'{out}.{rank}') for rank in range(2)]
    assert [r['indices'] for r in ranks] == [[0, 2, 4], [1, 3, 0]]
    for r in ranks:
        assert r['metrics'] == pytest.approx({
            'real/top1': 50.0,
            'real/top2': 75.0
        })
