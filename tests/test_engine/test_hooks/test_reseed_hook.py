import random
from types import SimpleNamespace

import numpy as np
import torch

import vpl_mm  # noqa: F401
from mmpretrain.registry import HOOKS


def draws():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)))


def draws_at(hook, epoch, seed=0):
    hook.before_train_epoch(SimpleNamespace(seed=seed, epoch=epoch))
    return draws()


def test_draws_depend_only_on_seed_and_epoch():
    hook = HOOKS.build(dict(type='ReseedHook'))
    first = draws_at(hook, 3)
    draws()  # whatever happens in between...
    assert draws_at(hook, 3) == first  # ...epoch 3 draws the same again
    assert draws_at(hook, 4) != first
    assert draws_at(hook, 3, seed=1) != first
    # all three generators are set, each to its own stream
    assert len(set(first)) == 3


def test_explicit_seed_and_rank(monkeypatch):
    hook = HOOKS.build(dict(type='ReseedHook', seed=7))
    assert draws_at(hook, 0, seed=0) == draws_at(hook, 0, seed=99)
    rank0 = draws_at(hook, 0)
    monkeypatch.setattr('vpl_mm.engine.hooks.reseed_hook.get_rank',
                        lambda: 1)
    assert draws_at(hook, 0) != rank0
