from typing import Dict, List, Sequence, Union

from mmengine.evaluator import BaseMetric
from mmpretrain.registry import METRICS

from vpl_mm.models.utils import BRANCHES


@METRICS.register_module()
class PairMetric(BaseMetric):
    """Evaluate each branch of a pair with stock MMPretrain metrics.

    :class:`PairClassifier` puts each branch's prediction under the sample
    fields ``cnn`` and ``trans``; this metric feeds each to its own copy of
    the given metrics and prefixes the results with the branch name, so one
    validation pass logs e.g. ``cnn/accuracy/top1`` and
    ``trans/accuracy/top1``.

    Args:
        metric (dict | list[dict] | str): Stock metric config(s), e.g.
            ``dict(type='Accuracy', topk=(1, 5))``, or a metric's type name
            whose options are ``**metric_args`` (the flat form that
            ``eval_metric.py --metric type=PairMetric metric=Accuracy
            topk=1,5`` can give). (Not ``metrics``: MMEngine reads an
            evaluator config with that key as an ``Evaluator``.)
        branches (Sequence[str]): Branch fields to evaluate. Defaults to
            ``('cnn', 'trans')``.
        collect_device (str): Passed to each inner metric, which collects
            its own results across ranks. Defaults to ``'cpu'``.

    Example:
        >>> val_evaluator = dict(
        ...     type='PairMetric', metric=dict(type='Accuracy', topk=(1, 5)))
    """

    # The branch names prefix the results.
    default_prefix = ''

    def __init__(self,
                 metric: Union[dict, List[dict], str],
                 branches: Sequence[str] = BRANCHES,
                 collect_device: str = 'cpu',
                 **metric_args) -> None:
        super().__init__(collect_device=collect_device)
        if isinstance(metric, str):
            metric = dict(type=metric, **metric_args)
        elif metric_args:
            raise TypeError(
                f'PairMetric: options {sorted(metric_args)} go with a metric '
                'given by its type name (metric=\'Accuracy\'); put them in '
                'the metric\'s dict')
        metrics = [metric] if isinstance(metric, dict) else list(metric)
        self.branches = tuple(branches)
        self._metrics = {
            branch: [
                METRICS.build(
                    cfg, default_args=dict(collect_device=collect_device))
                for cfg in metrics
            ]
            for branch in self.branches
        }

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for branch in self.branches:
            try:
                samples = [sample[branch] for sample in data_samples]
            except KeyError:
                raise KeyError(
                    f'PairMetric: a prediction has no `{branch}` field; '
                    'evaluate a PairClassifier (its predict mode fills one '
                    'field per branch), or set `branches`.') from None
            for metric in self._metrics[branch]:
                metric.process(data_batch, samples)

    def compute_metrics(self, results: list) -> dict:
        """Not used: :meth:`evaluate` asks each inner metric."""
        raise NotImplementedError

    def evaluate(self, size: int) -> Dict[str, float]:
        """Evaluate every branch and prefix its metric names.

        Args:
            size (int): Length of the whole validation dataset.

        Returns:
            dict[str, float]: e.g. ``{'cnn/accuracy/top1': 98.1, ...}``.
        """
        results = dict()
        for branch in self.branches:
            for metric in self._metrics[branch]:
                for key, value in metric.evaluate(size).items():
                    results[f'{branch}/{key}'] = value
        return results
