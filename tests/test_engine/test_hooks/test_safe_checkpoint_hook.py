import os
import os.path as osp
from unittest.mock import MagicMock

import pytest
import torch
from mmengine.hooks import CheckpointHook
from mmengine.logging import MessageHub
from mmpretrain.registry import HOOKS

import vpl_mm  # noqa: F401


class FakeRunner:
    """What CheckpointHook touches when it saves."""

    def __init__(self, work_dir, fail_at=None):
        self.work_dir = str(work_dir)
        self.message_hub = MessageHub(f'ckpt-{id(self)}')
        self.logger = MagicMock()
        self.fail_at = fail_at
        self.epoch = 0
        self.iter = 0
        self.model = torch.nn.Linear(2, 2)

    def save_checkpoint(self, out_dir, filename, *args, **kwargs):
        if filename == self.fail_at:  # the process dies while writing
            raise KeyboardInterrupt('killed while writing ' + filename)
        with open(osp.join(out_dir, filename), 'wb') as f:
            f.write(b'complete checkpoint')


def save_two(hook, runner):
    hook.before_train(runner)
    hook._save_checkpoint_with_step(runner, 1, {})
    with pytest.raises(KeyboardInterrupt):
        hook._save_checkpoint_with_step(runner, 2, {})


def last_checkpoint(work_dir):
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return f.read()


def test_old_checkpoint_survives_a_crash_while_saving(tmp_path):
    hook = HOOKS.build(dict(type='SafeCheckpointHook', max_keep_ckpts=1))
    runner = FakeRunner(tmp_path, fail_at='epoch_2.pth')
    save_two(hook, runner)
    assert last_checkpoint(tmp_path) == osp.join(str(tmp_path), 'epoch_1.pth')
    assert osp.isfile(tmp_path / 'epoch_1.pth')  # still there to resume


def test_stock_hook_loses_it(tmp_path):
    # the reference behaviour this hook fixes
    hook = CheckpointHook(max_keep_ckpts=1)
    runner = FakeRunner(tmp_path, fail_at='epoch_2.pth')
    save_two(hook, runner)
    assert last_checkpoint(tmp_path).endswith('epoch_1.pth')
    assert not osp.exists(tmp_path / 'epoch_1.pth')


def test_keeps_max_keep_ckpts(tmp_path):
    hook = HOOKS.build(dict(type='SafeCheckpointHook', max_keep_ckpts=2))
    runner = FakeRunner(tmp_path)
    hook.before_train(runner)
    for step in range(1, 5):
        hook._save_checkpoint_with_step(runner, step, {})
    assert sorted(f for f in os.listdir(tmp_path)
                  if f.endswith('.pth')) == ['epoch_3.pth', 'epoch_4.pth']
    assert runner.message_hub.get_info('keep_ckpt_ids') == [3, 4]


def test_writes_through_the_atomic_backend(tmp_path):
    from vpl_mm.utils import AtomicLocalBackend
    hook = HOOKS.build(dict(type='SafeCheckpointHook'))
    hook.before_train(FakeRunner(tmp_path))
    assert isinstance(hook.file_backend, AtomicLocalBackend)
