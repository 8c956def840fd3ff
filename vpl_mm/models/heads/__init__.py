from .dist_token_head import DistTokenClsHead
from .pair_learning_head import PairLearningHead
from .pair_term import PairTerm

__all__ = ['DistTokenClsHead', 'PairLearningHead', 'PairTerm']
