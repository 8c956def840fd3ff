"""PreemptionHook's parts: the signal handling, the save, the mid-epoch
resume (the runs themselves, with real signals:
tests/test_tools/test_preemption.py)."""
import os
import os.path as osp
import random
import signal

import numpy as np
import pytest
import torch
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS
from torch.utils.data import DataLoader, Dataset

import vpl_mm  # noqa: F401
from vpl_mm.engine.hooks.preemption_hook import (Preempted, SkipFirst,
                                                 rng_states, set_rng_states)


class RandomCrops(Dataset):
    """Each item draws from the three generators, as augmentations do."""

    def __len__(self):
        return 20

    def __getitem__(self, i):
        return torch.tensor(
            [i, random.random(),
             np.random.rand(),
             torch.rand(1).item()])


def epoch(skip=0, states=None, restore=True):
    """The batches of one epoch after ``skip`` (a training step between
    batches draws too), from the same state at the epoch's start."""
    random.seed(0), np.random.seed(0), torch.manual_seed(0)
    # a sampler that draws its order from the global generator
    loader = DataLoader(RandomCrops(), batch_size=4, shuffle=True)
    if skip:
        loader.batch_sampler.sampler = SkipFirst(
            loader.batch_sampler.sampler, skip * 4,
            lambda: restore and set_rng_states(states))
    batches, saved = [], None
    for i, batch in enumerate(loader):
        batches.append(batch)
        torch.rand(3)  # dropout and the like
        if i == 1:
            saved = rng_states()  # what the next batch draws from
    return batches, saved


def test_the_rest_of_an_epoch_is_drawn_exactly_again():
    batches, states = epoch()
    rest, _ = epoch(skip=2, states=states)
    assert len(rest) == 3
    assert all(torch.equal(a, b) for a, b in zip(batches[2:], rest))
    # the reference: the same order, other draws without the states
    other, _ = epoch(skip=2, states=states, restore=False)
    assert [o[:, 0].tolist() for o in other] == \
        [b[:, 0].tolist() for b in batches[2:]]
    assert not torch.equal(other[0], batches[2])


def test_rng_states_survive_a_weights_only_checkpoint(tmp_path):
    torch.save(dict(rng=rng_states()), tmp_path / 'c.pth')
    draws = (random.random(), np.random.rand(), torch.rand(1))
    set_rng_states(torch.load(tmp_path / 'c.pth')['rng'])
    assert (random.random(), np.random.rand(), torch.rand(1)) == draws


class FakeRunner:
    """What the hook reads and calls when it saves."""

    def __init__(self, work_dir, hook):
        self.work_dir = str(work_dir)
        self.hooks = [hook]
        self.epoch, self.iter = 1, 10  # iteration 11 in flight
        self.saved = []

    def save_checkpoint(self, out_dir, filename, meta, by_epoch, backend_args,
                        **kwargs):
        checkpoint = dict(meta=meta, state_dict={})
        for hook in self.hooks:
            hook.before_save_checkpoint(self, checkpoint)
        torch.save(checkpoint, osp.join(out_dir, filename))
        self.saved.append((filename, by_epoch, backend_args))


@pytest.fixture
def usr1():
    """SIGUSR1 to this process, whose own handler records it (the handler
    the hook must give back)."""
    seen = []
    previous = signal.signal(signal.SIGUSR1, lambda *args: seen.append(1))
    yield lambda: os.kill(os.getpid(), signal.SIGUSR1), seen
    signal.signal(signal.SIGUSR1, previous)


def test_a_signal_saves_the_iteration_and_exits_128_plus_it(tmp_path, usr1):
    send, seen = usr1
    hook = HOOKS.build(dict(type='PreemptionHook'))
    runner = FakeRunner(tmp_path, hook)
    hook.before_train(runner)
    hook.after_train_iter(runner, 2)  # no signal: trains on
    assert runner.saved == []
    send()
    assert seen == [] and hook.received == signal.SIGUSR1
    with pytest.raises(Preempted) as info:
        hook.after_train_iter(runner, 2)
    assert info.value.code == 128 + signal.SIGUSR1 == 138
    assert runner.saved == [('iter_11.pth', False,
                             dict(backend='atomic_local'))]
    assert (tmp_path / 'last_checkpoint').read_text() == str(tmp_path /
                                                             'iter_11.pth')
    checkpoint = torch.load(tmp_path / 'iter_11.pth')
    assert checkpoint['meta'] == dict(epoch=1, iter=11)
    assert checkpoint['rng_states']['world_size'] == 1
    send()  # the handlers are given back
    assert seen == [1]


def test_a_second_signal(tmp_path, usr1):
    send, seen = usr1
    hook = HOOKS.build(dict(type='PreemptionHook'))
    hook.before_train(FakeRunner(tmp_path, hook))
    send()
    hook.saving = True
    send()  # while saving: ignored
    assert seen == []
    hook.saving = False
    send()  # before the save starts: as without the hook
    assert seen == [1]
    hook.after_train(None)


def test_resume_skips_the_batches_done(tmp_path):
    hook = HOOKS.build(dict(type='PreemptionHook'))
    runner = FakeRunner(tmp_path, hook)
    runner._resume = True
    runner.train_loop = EpochBasedTrainLoop.__new__(EpochBasedTrainLoop)
    runner.train_dataloader = DataLoader(range(20), batch_size=4)  # 5/epoch
    hook.after_load_checkpoint(runner, dict(meta=dict(epoch=1, iter=8)))
    runner.epoch = 1
    hook.before_train_epoch(runner)
    assert len(runner.train_dataloader) == 2
    assert [b.tolist() for b in runner.train_dataloader] == [[12, 13, 14, 15],
                                                             [16, 17, 18, 19]]
    hook.after_train_epoch(runner)
    hook.before_train_epoch(runner)  # the next epoch: whole
    assert len(runner.train_dataloader) == 5
