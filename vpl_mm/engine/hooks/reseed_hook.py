import random
from typing import Iterator, Optional

import numpy as np
import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.runner import IterBasedTrainLoop
from mmpretrain.registry import HOOKS


class _ReseedingIterator:
    """Calls ``reseed(n)`` before fetching the ``n``-th batch (from 0)."""

    def __init__(self, iterator: Iterator, reseed) -> None:
        self.iterator = iterator
        self.reseed = reseed
        self.count = 0

    def __iter__(self) -> '_ReseedingIterator':
        return self

    def __next__(self):
        self.reseed(self.count)
        self.count += 1
        return next(self.iterator)


@HOOKS.register_module()
class ReseedHook(Hook):
    """Re-seed Python, NumPy and torch so that a resumed run is exact.

    MMEngine seeds the random generators once, at start, and does not save
    their states, so after a resume, data augmentation, dropout and the like
    draw other numbers than the uninterrupted run drew. This hook re-seeds
    them from the seed, the rank and the position in training:

    - ``EpochBasedTrainLoop``: before each epoch, from the epoch. A run
      resumed from an epoch checkpoint draws exactly what the uninterrupted
      run drew.
    - ``IterBasedTrainLoop``: before each batch is fetched, from the
      iteration. MMEngine resumes such a loop by fetching (and discarding)
      the batches already trained on; with the re-seed before every fetch,
      the batches after the skip, and every step, draw what the
      uninterrupted run drew.

    With ``randomness=dict(seed=..., deterministic=True)`` training then
    resumes bit-identically on CPU. (An ``EpochBasedTrainLoop`` resumed from
    a checkpoint saved in the middle of an epoch continues that epoch with
    the random states saved in it: :class:`PreemptionHook`.)

    Args:
        seed (int, optional): Base seed. Defaults to ``runner.seed`` (the
            config's ``randomness.seed``).
    """

    priority = 'VERY_HIGH'

    def __init__(self, seed: Optional[int] = None) -> None:
        self.seed = seed

    def _reseed(self, runner, *position: int) -> None:
        seed = runner.seed if self.seed is None else self.seed
        py_seed, np_seed, torch_seed = np.random.SeedSequence(
            [seed, get_rank(), *position]).generate_state(3)
        random.seed(int(py_seed))
        np.random.seed(int(np_seed))
        torch.manual_seed(int(torch_seed))

    def before_train_epoch(self, runner) -> None:
        loop = runner.train_loop
        if not isinstance(loop, IterBasedTrainLoop):  # epoch-based
            self._reseed(runner, runner.epoch)
        # Wraps mmengine/runner/loops.py IterBasedTrainLoop's
        # `dataloader_iterator`, which its resume re-iterates to skip the
        # batches seen (canary: tests/test_upstream_contract.py).
        elif not isinstance(loop.dataloader_iterator, _ReseedingIterator):
            # Called once, before the loop skips the batches already seen.
            loop.dataloader_iterator = _ReseedingIterator(
                loop.dataloader_iterator,
                # (seed, rank, 0, n) never equals an epoch's (seed, rank, e)
                lambda n: self._reseed(runner, 0, n))
