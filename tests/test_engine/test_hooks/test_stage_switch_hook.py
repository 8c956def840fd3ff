import itertools
from fractions import Fraction
from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
from mmengine.logging import MessageHub
from mmpretrain.registry import HOOKS, MODELS

import vpl_mm  # noqa: F401

COUNTER = itertools.count()


def reference_stage(step, total, x, y):
    """Eq. 7: a step is in the first x% when it lies wholly inside it."""
    if Fraction(step + 1, total) <= Fraction(x) / 100:
        return 'CL only'
    if Fraction(step, total) >= 1 - Fraction(y) / 100:
        return 'KL only'
    return 'CL + KL'


def pair_head():
    return MODELS.build(dict(type='PairLearningHead'))


def flags(head):
    """Whether eq. 7's groups of terms are on: ('cl', 'kl')."""
    return 'cl' in head.groups, 'kl' in head.groups


def make_runner(**progress):
    head = pair_head()
    return SimpleNamespace(
        model=SimpleNamespace(pair_head=head),
        logger=MagicMock(),
        message_hub=MessageHub(f'stage-test-{next(COUNTER)}'),
        **progress)


def run_epochs(hook, max_epochs):
    """Flags the hook sets at the start of each epoch, on one runner."""
    runner = make_runner(epoch=0, max_epochs=max_epochs)
    seen = []
    for epoch in range(max_epochs):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
        head = runner.model.pair_head
        seen.append(flags(head))
    return seen, runner


def test_paper_default_five_epochs():
    hook = HOOKS.build(dict(type='StageSwitchHook'))
    seen, runner = run_epochs(hook, 5)
    cl, both, kl = (True, False), (True, True), (False, True)
    assert seen == [cl, both, both, both, kl]
    # each switch is logged once
    messages = [c.args[0] for c in runner.logger.info.call_args_list]
    assert len(messages) == 3
    assert 'epoch 1/5' in messages[0] and '"CL only"' in messages[0]
    assert 'epoch 2/5' in messages[1] and '"CL + KL"' in messages[1]
    assert 'epoch 5/5' in messages[2] and '"KL only"' in messages[2]


FLAGS = {
    'CL only': (True, False),
    'CL + KL': (True, True),
    'KL only': (False, True)
}


@pytest.mark.parametrize('total,x,y', [(100, 20, 20), (300, 20, 20),
                                       (3, 20, 20), (10, 0, 0), (10, 40, 40),
                                       (10, 50, 50), (10, 100, 0), (7, 30, 10),
                                       (9, 12.5, 33.4)])
def test_boundaries_by_epoch(total, x, y):
    hook = HOOKS.build(dict(type='StageSwitchHook', x=x, y=y))
    seen, _ = run_epochs(hook, total)
    assert seen == [
        FLAGS[reference_stage(e, total, x, y)] for e in range(total)
    ]


def test_paper_counts():
    hook = HOOKS.build(dict(type='StageSwitchHook'))
    seen, _ = run_epochs(hook, 300)
    assert seen.count((True, False)) == 60
    assert seen.count((True, True)) == 180
    assert seen.count((False, True)) == 60


def test_by_iteration():
    hook = HOOKS.build(dict(type='StageSwitchHook', by_epoch=False))
    runner = make_runner(iter=0, max_iters=50, epoch=0, max_epochs=1)
    seen = []
    for it in range(50):
        runner.iter = it
        hook.before_train_epoch(runner)  # ignored when by iteration
        hook.before_train_iter(runner, batch_idx=it)
        head = runner.model.pair_head
        seen.append(flags(head))
    assert seen == [FLAGS[reference_stage(i, 50, 20, 20)] for i in range(50)]
    assert seen[9] == (True, False) and seen[10] == (True, True)
    assert seen[39] == (True, True) and seen[40] == (False, True)


@pytest.mark.parametrize('epoch,expected', [(0, (True, False)),
                                            (3, (True, True)),
                                            (8, (False, True))])
def test_resume_lands_in_right_stage(epoch, expected):
    # A resumed run starts with a freshly built head (both flags on) and a
    # runner whose epoch comes from the checkpoint.
    hook = HOOKS.build(dict(type='StageSwitchHook'))
    runner = make_runner(epoch=epoch, max_epochs=10)
    hook.before_train(runner)
    hook.before_train_epoch(runner)
    head = runner.model.pair_head
    assert flags(head) == expected


def test_unwraps_model_wrapper():
    from mmengine.model import MMDistributedDataParallel
    hook = HOOKS.build(dict(type='StageSwitchHook'))
    inner = SimpleNamespace(pair_head=pair_head())
    wrapper = MagicMock(spec=MMDistributedDataParallel)
    wrapper.module = inner
    runner = make_runner(epoch=0, max_epochs=5)
    runner.model = wrapper
    hook.before_train_epoch(runner)
    assert flags(inner.pair_head) == (True, False)


def test_history_of_inactive_term_is_dropped():
    # Otherwise the logger repeats the last loss_cl all through "KL only".
    hook = HOOKS.build(dict(type='StageSwitchHook'))
    runner = make_runner(epoch=1, max_epochs=5)
    for key in ('train/loss_cl', 'train/loss_kl', 'train/loss'):
        runner.message_hub.update_scalar(key, 1.0)
    hook.before_train_epoch(runner)  # CL + KL: both kept
    assert {'train/loss_cl',
            'train/loss_kl'} <= set(runner.message_hub.log_scalars)
    runner.epoch = 4
    hook.before_train_epoch(runner)  # KL only
    assert set(
        runner.message_hub.log_scalars) == {'train/loss_kl', 'train/loss'}


def test_schedule_is_logged_before_training():
    hook = HOOKS.build(dict(type='StageSwitchHook'))
    runner = make_runner(epoch=0, max_epochs=5)
    hook.before_train(runner)
    message = runner.logger.info.call_args.args[0]
    assert 'CL only 1, CL + KL 2-4, KL only 5' in message


def test_rejects_model_without_pair_head():
    hook = HOOKS.build(dict(type='StageSwitchHook'))
    runner = SimpleNamespace(
        model=SimpleNamespace(), epoch=0, max_epochs=5, logger=MagicMock())
    with pytest.raises(TypeError, match='pair_head'):
        hook.before_train(runner)


@pytest.mark.parametrize('x,y,match', [(60, 50, 'x \\+ y must be <= 100'),
                                       (-1, 20, '`x` is a percentage'),
                                       (20, -5, '`y` is a percentage'),
                                       (120, 0, '`x` is a percentage')])
def test_rejects_bad_percentages(x, y, match):
    with pytest.raises(ValueError, match=match):
        HOOKS.build(dict(type='StageSwitchHook', x=x, y=y))


def test_history_of_every_inactive_term_is_dropped():
    # the head says which keys a stage switches off, the beyond-paper terms
    # and the gates' keep rates included
    hook = HOOKS.build(dict(type='StageSwitchHook'))
    runner = make_runner(epoch=4, max_epochs=5)
    paper = MODELS.get('PairLearningHead').PAPER_TERMS
    runner.model.pair_head = MODELS.build(
        dict(
            type='PairLearningHead',
            terms=dict(
                cl=paper['cl'],
                kd=dict(
                    learner='trans',
                    inputs='logits',
                    stage='cl',
                    gate='target_correct',
                    loss=dict(type='PairHardLabelLoss')),
                kl=dict(paper['kl'], gate='target_better'))))
    keys = ('loss_cl', 'loss_kd', 'kd_keep', 'loss_kl', 'kl_keep')
    for key in keys:
        runner.message_hub.update_scalar(f'train/{key}', 1.0)
    hook.before_train_epoch(runner)  # KL only
    assert set(
        runner.message_hub.log_scalars) == {'train/loss_kl', 'train/kl_keep'}
    runner.epoch = 0
    for key in keys:
        runner.message_hub.update_scalar(f'train/{key}', 1.0)
    hook.before_train_epoch(runner)  # CL only
    assert set(runner.message_hub.log_scalars) == {
        'train/loss_cl', 'train/loss_kd', 'train/kd_keep'
    }
