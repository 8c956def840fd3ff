from .pair_learning_head import PairLearningHead

__all__ = ['PairLearningHead']
