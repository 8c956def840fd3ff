"""CheckpointFitHook decides, per kind of run, what a checkpoint must fit
(the runs themselves, through every entry point: tests/test_tools)."""
import pytest
import torch
from mmengine.runner import BaseLoop
from mmpretrain.registry import HOOKS

import vpl_mm  # noqa: F401
from vpl_mm.utils import CheckpointError

MODEL = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.Linear(2, 3))


class Loop(BaseLoop):

    def __init__(self):
        pass

    def run(self):
        pass


class FakeRunner:
    """What the hook reads: a train loop once ``train()`` built it."""

    def __init__(self, work_dir, mode, load_from='ckpt.pth'):
        self.work_dir = str(work_dir)
        self.model = MODEL
        self._resume = mode == 'resume'
        self._load_from = load_from
        self._train_loop = Loop() if mode in ('train', 'resume') else dict()


def state(**changes):
    out = {k: v.clone() for k, v in MODEL.state_dict().items()}
    out.update(changes)
    return {k: v for k, v in out.items() if v is not None}


def load(tmp_path, mode, checkpoint, **kwargs):
    hook = HOOKS.build(dict(type='CheckpointFitHook', **kwargs))
    runner = FakeRunner(tmp_path, mode)
    hook.before_run(runner)
    hook.after_load_checkpoint(runner, checkpoint)


NAN = torch.full((2, 2), float('nan'))


@pytest.fixture
def logged(monkeypatch):
    """The hook's log lines."""
    lines = []
    monkeypatch.setattr('vpl_mm.engine.hooks.checkpoint_fit_hook.print_log',
                        lambda msg, **kwargs: lines.append(msg))
    return lines


@pytest.mark.parametrize('mode', ['test', 'resume'])
def test_any_mismatch_is_refused_when_testing_and_resuming(tmp_path, mode):
    for bad, match in ((state(**{'1.bias': None}), r"missing \['1.bias'\]"),
                       (state(extra=torch.zeros(1)), r"unexpected \['extra"),
                       (state(**{'1.weight': torch.zeros(2, 2)}),
                        r"wrong shape \['1.weight'\]"),
                       (state(**{'0.weight': NAN}), 'non-finite weights')):
        with pytest.raises(CheckpointError, match=match) as info:
            load(tmp_path, mode, dict(state_dict=bad))
        assert str(info.value).startswith('checkpoint ckpt.pth')
    load(tmp_path, mode, dict(state_dict=state()))  # fits
    # DDP's prefix, as Runner.load_checkpoint revises it
    load(tmp_path, mode, {f'module.{k}': v for k, v in state().items()})


def test_training_load_from_loads_a_part_and_logs_the_rest(tmp_path, logged):
    partial = state(**{'1.weight': torch.zeros(5, 2), '1.bias': None})
    load(tmp_path, 'train', dict(state_dict=partial))
    assert logged == [
        "load_from ckpt.pth: loading part of Sequential; not loaded: "
        "missing ['1.bias'], unexpected [], wrong shape ['1.weight']"
    ]
    # testing does so only on request
    with pytest.raises(CheckpointError):
        load(tmp_path, 'test', dict(state_dict=partial))
    load(tmp_path, 'test', dict(state_dict=partial), partial_load=True)


def test_training_load_from_refuses_another_model_and_nan(tmp_path):
    solo = {f'backbone.{k}': v for k, v in state().items()}
    with pytest.raises(
            CheckpointError,
            match='does not fit Sequential: none of its 4 '
            'tensors is one of the model'):
        load(tmp_path, 'train', dict(state_dict=solo))
    # non-finite where it would load; a NaN in what is left out is no harm
    with pytest.raises(CheckpointError, match=r'non-finite .* in 0.weight'):
        load(tmp_path, 'train', dict(state_dict=state(**{'0.weight': NAN})))
    load(tmp_path, 'train',
         dict(state_dict=state(**{'1.weight': torch.full((9, 2), 1e999)})))


@pytest.mark.parametrize('checkpoint,phrase',
                         [(torch.zeros(3), 'holds a Tensor'),
                          (dict(meta={}), 'holds no `state_dict`')])
def test_what_is_no_checkpoint_is_refused(tmp_path, checkpoint, phrase):
    for mode in ('train', 'resume', 'test'):
        with pytest.raises(CheckpointError, match=phrase):
            load(tmp_path, mode, checkpoint)


def test_before_training_says_when_the_work_dir_is_not_continued(
        tmp_path, logged):
    hook = HOOKS.build(dict(type='CheckpointFitHook'))

    def warnings(mode, load_from=None):
        logged.clear()
        hook.before_run(FakeRunner(tmp_path, mode, load_from))
        return list(logged)

    assert warnings('resume') == [
        f'--resume: {tmp_path} holds no checkpoint to resume (no '
        'last_checkpoint): this run starts afresh'
    ]
    assert warnings('train') == warnings('test') == []
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_1.pth'))
    assert warnings('train') == [
        f'{tmp_path} holds a previous run (last_checkpoint); this run starts'
        ' afresh and overwrites its checkpoints: add --resume to continue it'
    ]
    assert warnings('resume') == warnings('test') == []
    # the file a resume reads is the one named in the messages
    runner = FakeRunner(tmp_path, 'resume', None)
    hook.before_run(runner)
    with pytest.raises(CheckpointError, match=f'checkpoint {tmp_path}/epoch'):
        hook.after_load_checkpoint(runner, dict(meta={}))
