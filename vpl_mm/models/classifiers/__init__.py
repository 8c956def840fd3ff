from .pair_classifier import BRANCHES, PairClassifier

__all__ = ['BRANCHES', 'PairClassifier']
