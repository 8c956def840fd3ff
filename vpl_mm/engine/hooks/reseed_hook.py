import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class ReseedHook(Hook):
    """Re-seed Python, NumPy and torch from (seed, rank, epoch) every epoch.

    MMEngine seeds the random generators once, at start, and does not save
    their states, so after a resume, data augmentation, dropout and the like
    draw other numbers than the uninterrupted run drew. With this hook every
    random number drawn in training epoch ``e`` depends only on the seed, the
    rank and ``e``: a run resumed from an epoch checkpoint draws exactly what
    the uninterrupted run drew. With ``randomness=dict(seed=...,
    deterministic=True)`` training then resumes bit-identically on CPU.

    Resuming from a checkpoint saved in the middle of an epoch (an
    ``IterBasedTrainLoop``, or ``CheckpointHook(by_epoch=False)``) is not
    made exact: the data already seen in that epoch is drawn again with
    other random numbers.

    Args:
        seed (int, optional): Base seed. Defaults to ``runner.seed`` (the
            config's ``randomness.seed``).
    """

    priority = 'VERY_HIGH'

    def __init__(self, seed: Optional[int] = None) -> None:
        self.seed = seed

    def before_train_epoch(self, runner) -> None:
        seed = runner.seed if self.seed is None else self.seed
        state = np.random.SeedSequence([seed, get_rank(), runner.epoch])
        py_seed, np_seed, torch_seed = state.generate_state(3)
        random.seed(int(py_seed))
        np.random.seed(int(np_seed))
        torch.manual_seed(int(torch_seed))
