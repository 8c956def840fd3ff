from .pair_learning_head import PairLearningHead
from .pair_term import PairTerm

__all__ = ['PairLearningHead', 'PairTerm']
