import pytest
import torch
from mmengine.evaluator import Evaluator
from mmpretrain.registry import METRICS

import vpl_mm  # noqa: F401


def sample(gt, cnn_score, trans_score):

    def branch(score):
        score = torch.tensor(score)
        return dict(
            gt_label=torch.tensor([gt]),
            pred_score=score,
            pred_label=score.argmax().view(1))

    return dict(
        gt_label=torch.tensor([gt]),
        cnn=branch(cnn_score),
        trans=branch(trans_score))


SAMPLES = [
    # gt, cnn scores, trans scores
    sample(0, [.7, .2, .1], [.2, .7, .1]),  # cnn right, trans 2nd
    sample(1, [.1, .8, .1], [.1, .8, .1]),  # both right
    sample(2, [.5, .4, .1], [.1, .2, .7]),  # cnn 3rd, trans right
    sample(2, [.2, .5, .3], [.6, .3, .1]),  # cnn 2nd, trans 3rd
]


def test_per_branch_accuracy():
    evaluator = Evaluator(
        METRICS.build(
            dict(type='PairMetric', metric=dict(type='Accuracy',
                                                topk=(1, 2)))))
    evaluator.process(SAMPLES)
    results = evaluator.evaluate(len(SAMPLES))
    assert results == pytest.approx({
        'cnn/accuracy/top1': 50.0,
        'cnn/accuracy/top2': 75.0,
        'trans/accuracy/top1': 50.0,
        'trans/accuracy/top2': 75.0,
    })


def test_several_metrics_and_one_branch():
    metric = METRICS.build(
        dict(
            type='PairMetric',
            metric=[
                dict(type='Accuracy', topk=(1, )),
                dict(type='SingleLabelMetric', items=('precision', ))
            ],
            branches=('trans', )))
    metric.process(None, SAMPLES)
    results = metric.evaluate(len(SAMPLES))
    assert set(results) == {
        'trans/accuracy/top1', 'trans/single-label/precision'
    }


def test_missing_branch_field():
    metric = METRICS.build(
        dict(type='PairMetric', metric=dict(type='Accuracy')))
    with pytest.raises(KeyError, match='no `cnn` field'):
        metric.process(None, [
            dict(
                gt_label=torch.tensor([0]), pred_score=torch.tensor([1., 0.]))
        ])
