from .dml_classifier import DMLClassifier
from .pair_classifier import PairClassifier
from .two_branch_classifier import TwoBranchClassifier

__all__ = ['DMLClassifier', 'PairClassifier', 'TwoBranchClassifier']
