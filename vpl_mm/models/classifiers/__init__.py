from .dml_classifier import DMLClassifier
from .pair_classifier import PairClassifier
from .two_branch_classifier import BRANCHES, TwoBranchClassifier

__all__ = [
    'BRANCHES', 'DMLClassifier', 'PairClassifier', 'TwoBranchClassifier'
]
