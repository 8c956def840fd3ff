import copy
import os
import sys

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import vpl_mm  # noqa: F401
from mmpretrain.registry import MODELS, OPTIM_WRAPPERS

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
from tiny_models import TINY_CNN, TINY_TRANS  # noqa: E402

PAIR = dict(type='PairClassifier', cnn=TINY_CNN, trans=TINY_TRANS,
            nonfinite='skip')


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


@pytest.mark.parametrize('wrapper_type',
                         ['SkipNonFiniteOptimWrapper', 'CPUAmpOptimWrapper'])
def test_non_finite_update_is_skipped(batch, wrapper_type, caplog):
    model = MODELS.build(copy.deepcopy(PAIR))
    wrapper = OPTIM_WRAPPERS.build(
        dict(type=wrapper_type,
             optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3)))
    params, moments = state(model, wrapper)
    log_vars = model.train_step(data(batch, poison=True), wrapper)
    assert not torch.isfinite(log_vars['loss'])
    after, after_moments = state(model, wrapper)
    # no weight moved, AdamW took no step (no moments, no step count)
    assert same(params, after) and after_moments == moments == {}
    assert all(p.grad is None for p in model.parameters())
    assert wrapper.skipped == 1
    # a finite batch then updates as usual
    log_vars = model.train_step(data(batch), wrapper)
    assert torch.isfinite(log_vars['loss'])
    assert not same(params, state(model, wrapper)[0])
    assert wrapper.skipped == 1


def test_stock_wrapper_would_apply_it(batch):
    # the reference: MMEngine's OptimWrapper writes NaN into the weights
    model = MODELS.build(copy.deepcopy(PAIR))
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='OptimWrapper',
             optimizer=torch.optim.AdamW(model.parameters(), lr=1e-3)))
    model.train_step(data(batch, poison=True), wrapper)
    assert not all(torch.isfinite(p).all() for p in model.parameters())


def _ddp_worker(rank, init_file, inputs, labels, out):
    from mmengine.model import MMDistributedDataParallel
    from mmpretrain.structures import DataSample

    # (DataSamples do not survive the trip to a spawned process)
    batch = inputs, [DataSample().set_gt_label(y) for y in labels]
    dist.init_process_group('gloo', init_method=f'file://{init_file}',
                            rank=rank, world_size=2)
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(PAIR))
    ddp = MMDistributedDataParallel(model, device_ids=None,
                                    broadcast_buffers=False)
    wrapper = OPTIM_WRAPPERS.build(
        dict(type='SkipNonFiniteOptimWrapper',
             optimizer=torch.optim.AdamW(ddp.parameters(), lr=1e-3)))
    before = [p.detach().clone() for p in model.parameters()]
    # only rank 0 meets a non-finite loss; both ranks must skip
    ddp.train_step(data(batch, poison=rank == 0), wrapper)
    skipped = wrapper.skipped == 1 and same(before, model.parameters())
    ddp.train_step(data(batch), wrapper)  # then both update again
    torch.save(dict(skipped=skipped,
                    params=[p.detach() for p in model.parameters()]),
               f'{out}.{rank}')
    dist.destroy_process_group()


def test_under_ddp_every_rank_skips_the_same_update(batch, tmp_path):
    out = str(tmp_path / 'result')
    inputs, samples = batch
    labels = [int(s.gt_label) for s in samples]
    mp.spawn(_ddp_worker, args=(str(tmp_path / 'init'), inputs, labels, out),
             nprocs=2)
    results = [torch.load(f'{out}.{rank}') for rank in range(2)]
    assert all(r['skipped'] for r in results)
    # the ranks stay identical after the skipped and the following step
    assert same(results[0]['params'], results[1]['params'])
