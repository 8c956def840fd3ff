import copy
import os
import sys

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmpretrain.registry import MODELS, OPTIM_WRAPPERS

import vpl_mm  # noqa: F401
from vpl_mm.engine.optimizers import NonFiniteOptimWrapper

sys.path.insert(
    0,
    os.path.dirname(
        os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
from tiny_models import TINY_CNN, TINY_TRANS  # noqa: E402

PAIR = dict(type='PairClassifier', cnn=TINY_CNN, trans=TINY_TRANS)
DML = dict(type='DMLClassifier', cnn=TINY_CNN, trans=TINY_TRANS)


def state(model, wrapper):
    params = [p.detach().clone() for p in model.parameters()]
    return params, copy.deepcopy(wrapper.optimizer.state_dict()['state'])


def same(a, b):
    return all(torch.equal(x, y) for x, y in zip(a, b))


def data(batch, poison=False):
    inputs, samples = batch
    inputs = inputs.clone()
    if poison:
        inputs[0, 0, 0, 0] = float('inf')
    return dict(inputs=inputs, data_samples=samples)


def build(model_cfg, **wrapper_cfg):
    model = MODELS.build(copy.deepcopy(model_cfg))
    wrapper_cfg.setdefault('type', 'OptimWrapper')
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3),
            **wrapper_cfg))
    return model, wrapper


@pytest.mark.parametrize('model_cfg', [PAIR, DML], ids=['pair', 'dml'])
@pytest.mark.parametrize(
    'wrapper_cfg', [
        dict(type='NonFiniteOptimWrapper'),
        dict(type='CPUAmpOptimWrapper', nonfinite='stop')
    ],
    ids=['nonfinite-default', 'cpu-amp-stop'])
def test_nan_input_stops_before_any_update(batch, model_cfg, wrapper_cfg,
                                           monkeypatch):
    from mmengine.logging import MessageHub
    logged = []
    monkeypatch.setattr(
        'vpl_mm.models.classifiers.two_branch_classifier.print_log',
        lambda msg, **kwargs: logged.append(msg))
    model, wrapper = build(model_cfg, **wrapper_cfg)
    params, moments = state(model, wrapper)
    inputs, samples = batch
    inputs = inputs.clone().float()
    inputs[0, 0, 0, 0] = float('nan')  # one NaN pixel, a float batch
    MessageHub.get_current_instance().update_info('iter', 11)
    with pytest.raises(
            FloatingPointError,
            match=f'{wrapper_cfg["type"]}: non-finite loss .*'
            'at iteration 12'):
        model.train_step(dict(inputs=inputs, data_samples=samples), wrapper)
    # the model named the terms; the wrapper stopped before any update
    assert f'{model_cfg["type"]}: non-finite loss_cnn' in logged[0]
    assert 'at iteration 12' in logged[0]
    after, after_moments = state(model, wrapper)
    assert same(params, after) and after_moments == moments == {}


@pytest.mark.parametrize('model_cfg', [PAIR, DML], ids=['pair', 'dml'])
@pytest.mark.parametrize(
    'wrapper_cfg', [
        dict(type='NonFiniteOptimWrapper', nonfinite='skip'),
        dict(type='CPUAmpOptimWrapper')
    ],
    ids=['nonfinite-skip', 'cpu-amp-default'])
def test_non_finite_update_is_skipped(batch, model_cfg, wrapper_cfg,
                                      monkeypatch):
    from mmengine.logging import MessageHub
    logged = []
    for where in ('vpl_mm.models.classifiers.two_branch_classifier',
                  'vpl_mm.engine.optimizers.nonfinite_optim_wrapper'):
        monkeypatch.setattr(f'{where}.print_log',
                            lambda msg, **kwargs: logged.append(msg))
    model, wrapper = build(model_cfg, **wrapper_cfg)
    params, moments = state(model, wrapper)
    MessageHub.get_current_instance().update_info('iter', 6)
    log_vars = model.train_step(data(batch, poison=True), wrapper)
    assert not torch.isfinite(log_vars['loss'])
    # the model named the term, the wrapper the skipped update
    assert 'non-finite loss_cnn' in logged[0]
    assert 'at iteration 7' in logged[0]
    assert ('non-finite loss (the warning above names its terms) at '
            'iteration 7: update skipped') in logged[-1]
    after, after_moments = state(model, wrapper)
    # no weight moved, AdamW took no step (no moments, no step count)
    assert same(params, after) and after_moments == moments == {}
    assert all(p.grad is None for p in model.parameters())
    assert wrapper.skipped == (2 if model_cfg is DML else 1)  # 2 updates
    # a finite batch then updates as usual
    log_vars = model.train_step(data(batch), wrapper)
    assert torch.isfinite(log_vars['loss'])
    assert not same(params, state(model, wrapper)[0])


def test_non_finite_gradients_of_a_finite_loss_stop_the_update(batch):
    from mmengine.logging import MessageHub
    model, wrapper = build(PAIR, type='NonFiniteOptimWrapper')
    params, _ = state(model, wrapper)
    weight = next(model.parameters())
    weight.register_hook(lambda grad: grad * float('inf'))
    MessageHub.get_current_instance().update_info('iter', 2)
    with pytest.raises(
            FloatingPointError,
            match='NonFiniteOptimWrapper: non-finite gradients '
            'at iteration 3'):
        model.train_step(data(batch), wrapper)
    assert same(params, state(model, wrapper)[0])


def test_the_policy_is_the_wrapper_s_own(batch):
    from mmengine.logging import MessageHub

    @OPTIM_WRAPPERS.register_module(force=True)
    class UserWrapper(NonFiniteOptimWrapper):  # not refused by its name

        def __init__(self, **kwargs):
            super().__init__(nonfinite='skip', **kwargs)

    model, wrapper = build(PAIR, type='UserWrapper')
    MessageHub.get_current_instance().update_info('iter', 0)
    model.train_step(data(batch, poison=True), wrapper)
    assert wrapper.skipped == 1
    model.train_step(data(batch), wrapper)
    # the model has no policy of its own: MMEngine's stock wrapper applies
    # the non-finite update (what NonFiniteOptimWrapper is there for)
    _, stock = build(PAIR)
    stock.optimizer = wrapper.optimizer
    model.train_step(data(batch, poison=True), stock)
    assert not all(torch.isfinite(p).all() for p in model.parameters())
    with pytest.raises(ValueError, match='`nonfinite` must be one of'):
        build(PAIR, type='NonFiniteOptimWrapper', nonfinite='ignore')


def _ddp_worker(rank, init_file, inputs, labels, out):
    from mmengine.model import MMDistributedDataParallel
    from mmpretrain.structures import DataSample

    # (DataSamples do not survive the trip to a spawned process)
    batch = inputs, [DataSample().set_gt_label(y) for y in labels]
    dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(PAIR))
    ddp = MMDistributedDataParallel(
        model, device_ids=None, broadcast_buffers=False)
    wrapper = OPTIM_WRAPPERS.build(
        dict(
            type='NonFiniteOptimWrapper',
            nonfinite='skip',
            optimizer=torch.optim.AdamW(ddp.parameters(), lr=1e-3)))
    before = [p.detach().clone() for p in model.parameters()]
    # only rank 0 meets a non-finite loss; both ranks must skip
    ddp.train_step(data(batch, poison=rank == 0), wrapper)
    skipped = wrapper.skipped == 1 and same(before, model.parameters())
    ddp.train_step(data(batch), wrapper)  # then both update again
    torch.save(
        dict(skipped=skipped, params=[p.detach() for p in model.parameters()]),
        f'{out}.{rank}')
    dist.destroy_process_group()


def test_under_ddp_every_rank_skips_the_same_update(batch, tmp_path):
    out = str(tmp_path / 'result')
    inputs, samples = batch
    labels = [int(s.gt_label) for s in samples]
    mp.spawn(
        _ddp_worker,
        args=(str(tmp_path / 'init'), inputs, labels, out),
        nprocs=2)
    results = [torch.load(f'{out}.{rank}') for rank in range(2)]
    assert all(r['skipped'] for r in results)
    # the ranks stay identical after the skipped and the following step
    assert same(results[0]['params'], results[1]['params'])
