import random
from types import SimpleNamespace

import numpy as np
import torch
from mmpretrain.registry import HOOKS

import vpl_mm  # noqa: F401


def draws():
    return (random.random(), float(np.random.rand()), float(torch.rand(1)))


def draws_at(hook, epoch, seed=0):
    # an EpochBasedTrainLoop has no dataloader_iterator
    hook.before_train_epoch(
        SimpleNamespace(seed=seed, epoch=epoch, train_loop=object()))
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
    monkeypatch.setattr('vpl_mm.engine.hooks.reseed_hook.get_rank', lambda: 1)
    assert draws_at(hook, 0) != rank0


def test_iteration_based_loop_reseeds_before_each_fetch():
    hook = HOOKS.build(dict(type='ReseedHook'))

    def fetches():
        while True:
            yield draws()

    def run(skip):
        loop = SimpleNamespace(dataloader_iterator=fetches())
        hook.before_train_epoch(
            SimpleNamespace(seed=0, epoch=0, train_loop=loop))
        hook.before_train_epoch(  # called again: not wrapped twice
            SimpleNamespace(seed=0, epoch=0, train_loop=loop))
        for _ in range(skip):  # MMEngine's resume skips seen batches
            next(loop.dataloader_iterator)
        batch = next(loop.dataloader_iterator)
        return batch, draws()  # the batch and the step after it

    resumed = run(3)
    assert run(3) == resumed  # deterministic whatever came before
    assert resumed[0] != run(0)[0]  # each iteration its own numbers
    loop = SimpleNamespace(dataloader_iterator=fetches())
    hook.before_train_epoch(SimpleNamespace(seed=0, epoch=0, train_loop=loop))
    assert [next(loop.dataloader_iterator) for _ in range(4)][3] == \
        resumed[0]
    assert resumed[0] != draws_at(hook, 3)  # not an epoch's stream
