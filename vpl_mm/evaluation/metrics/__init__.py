from .pair_metric import PairMetric

__all__ = ['PairMetric']
