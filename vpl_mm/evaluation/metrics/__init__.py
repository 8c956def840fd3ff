from .pair_metric import PairMetric
from .real_accuracy import RealAccuracy

__all__ = ['PairMetric', 'RealAccuracy']
