"""Global negatives (``PairContrastiveLoss(gather=True)``) with 2 gloo
processes vs one process on the concatenated batch."""
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
import torch.nn as nn

import vpl_mm  # noqa: F401
from vpl_mm.models.losses import PairContrastiveLoss
from vpl_mm.models.utils import all_gather_with_grad

N, IN, D, TAU = 6, 5, 4, 0.5  # N images per rank


def make_data():
    g = torch.Generator().manual_seed(0)
    return torch.randn(2 * N, IN, generator=g)


class Encoders(nn.Module):
    """Stand-ins for the two branches: one linear layer each."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(1)
        self.cnn = nn.Linear(IN, D)
        self.trans = nn.Linear(IN, D)

    def forward(self, x):
        return self.cnn(x), self.trans(x)


def naive_gather(x):
    """The known failure: all-gather whose gradient is only the local
    slice (the other ranks' copies are constants)."""
    parts = [torch.empty_like(x) for _ in range(dist.get_world_size())]
    dist.all_gather(parts, x.detach())
    parts[dist.get_rank()] = x
    return torch.cat(parts), dist.get_rank() * x.size(0)


def _worker(rank, init_file, out):
    from torch.nn.parallel import DistributedDataParallel
    dist.init_process_group(
        'gloo', init_method=f'file://{init_file}', rank=rank, world_size=2)
    results = {}
    for name in ('gather', 'naive', 'local', 'uneven'):
        x = make_data()[rank * N:(rank + 1) * N]
        if name == 'uneven':  # e.g. an epoch's last batch: 8 and 4 images
            x = make_data()[:N + 2] if rank == 0 else make_data()[N + 2:]
        model = DistributedDataParallel(Encoders())
        loss_fn = PairContrastiveLoss(temperature=TAU, gather=name != 'local')
        if name == 'naive':
            import vpl_mm.models.losses.pair_contrastive_loss as module
            module.all_gather_with_grad, real = naive_gather, \
                module.all_gather_with_grad
        try:
            loss = loss_fn(*model(x))
        finally:
            if name == 'naive':
                module.all_gather_with_grad = real
        loss.backward()  # DDP averages the gradients over the ranks
        mean_loss = loss.detach().clone()
        dist.all_reduce(mean_loss)
        results[name] = dict(
            loss=mean_loss / 2,
            grads={
                k: p.grad.clone()
                for k, p in model.module.named_parameters()
            })
    # unequal rows per rank: gathered in rank order, gradient summed
    rows = torch.full((2 + rank, 3), float(rank + 1), requires_grad=True)
    gathered, start = all_gather_with_grad(rows)
    weights = torch.arange(
        gathered.numel(), dtype=torch.float).view_as(gathered) * (
            rank + 1)  # each rank's loss weighs rows differently
    (gathered * weights).sum().backward()
    results['unequal'] = dict(
        gathered=gathered.detach(), start=start, grad=rows.grad)
    torch.save(results, f'{out}.{rank}')
    dist.destroy_process_group()


def run_two_ranks(tmp_path):
    out = str(tmp_path / 'result')
    mp.spawn(_worker, args=(str(tmp_path / 'init'), out), nprocs=2)
    return [torch.load(f'{out}.{rank}') for rank in range(2)]


def reference():
    """One process, the whole batch of 2N images."""
    model = Encoders()
    loss = PairContrastiveLoss(temperature=TAU)(*model(make_data()))
    loss.backward()
    return loss.detach(), {k: p.grad for k, p in model.named_parameters()}


def close(a, b):
    return all(torch.allclose(a[k], b[k], atol=1e-6, rtol=1e-5) for k in a)


def test_global_negatives_match_one_process(tmp_path):
    ranks = run_two_ranks(tmp_path)
    ref_loss, ref_grads = reference()
    for r in ranks:
        assert torch.allclose(r['gather']['loss'], ref_loss, atol=1e-6)
        assert close(r['gather']['grads'], ref_grads)
    # the test can tell: a gather that drops the other ranks' gradient
    # terms gives the right loss but wrong gradients...
    assert torch.allclose(ranks[0]['naive']['loss'], ref_loss, atol=1e-6)
    assert not close(ranks[0]['naive']['grads'], ref_grads)
    # ...and without gather, each rank's N is its own batch: another loss
    assert not torch.allclose(ranks[0]['local']['loss'], ref_loss)
    # uneven batches: the mean over ranks of the losses, and the gradients
    # as DDP averages them, are still those of the whole batch
    for r in ranks:
        assert torch.allclose(r['uneven']['loss'], ref_loss, atol=1e-6)
        assert close(r['uneven']['grads'], ref_grads)

    # unequal numbers of rows: rank 0 has 2, rank 1 has 3
    rows = torch.cat([torch.full((2, 3), 1.), torch.full((3, 3), 2.)])
    weights = torch.arange(15, dtype=torch.float).view(5, 3)
    for rank, r in enumerate(ranks):
        u = r['unequal']
        assert torch.equal(u['gathered'], rows)
        assert u['start'] == [0, 2][rank]
        # d/d(own rows) of sum over ranks of (gathered * weights_r)
        own = slice(u['start'], u['start'] + 2 + rank)
        assert torch.equal(u['grad'], (weights * (1 + 2))[own])


def test_one_process_gather_is_a_no_op():
    x = torch.randn(3, 2)
    assert all_gather_with_grad(x) == (x, 0)
    a, b = torch.randn(2, 4, 3)
    assert torch.equal(
        PairContrastiveLoss(gather=True)(a, b),
        PairContrastiveLoss()(a, b))
