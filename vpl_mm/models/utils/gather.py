"""All-gather across ranks with the gradient of a global-batch loss."""
from typing import List, Tuple

import torch
import torch.distributed as dist


class _AllGather(torch.autograd.Function):
    """Concatenate every rank's rows; backward sums the gradient over ranks.

    Each rank's loss uses the other ranks' rows, so the gradient that reaches
    a rank's own rows must include what every rank's loss contributes:
    backward all-reduces (sums) the gradient of the gathered tensor and
    returns this rank's slice. (Returning only the local slice, unsummed,
    would drop the other ranks' terms.) DDP then averages the parameter
    gradients, which gives the gradient of the mean of the ranks' losses.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, sizes: List[int]) -> torch.Tensor:
        padded = x.new_zeros((max(sizes), ) + x.shape[1:])
        padded[:x.size(0)] = x
        parts = [torch.empty_like(padded) for _ in sizes]
        dist.all_gather(parts, padded)
        ctx.start = sum(sizes[:dist.get_rank()])
        ctx.size = x.size(0)
        return torch.cat([part[:n] for part, n in zip(parts, sizes)])

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        grad = grad.contiguous()
        dist.all_reduce(grad)  # sum over ranks
        return grad[ctx.start:ctx.start + ctx.size], None


def all_gather_with_grad(x: torch.Tensor) -> Tuple[torch.Tensor, int]:
    """Rows of ``x`` from every rank, in rank order, differentiably.

    Ranks may hold different numbers of rows. Without an initialised process
    group (or with one process) ``x`` is returned as is.

    Args:
        x (Tensor): This rank's rows, (n, ...).

    Returns:
        tuple[Tensor, int]: The gathered rows (N, ...) and where this rank's
        rows start in them.

    Example:
        >>> import torch
        >>> x = torch.randn(4, 8)
        >>> gathered, start = all_gather_with_grad(x)  # one process
        >>> gathered is x, start
        (True, 0)
    """
    if not (dist.is_available() and dist.is_initialized()
            and dist.get_world_size() > 1):
        return x, 0
    sizes = [
        torch.zeros(1, dtype=torch.long, device=x.device)
        for _ in range(dist.get_world_size())
    ]
    dist.all_gather(sizes, torch.tensor([x.size(0)], device=x.device))
    sizes = [int(n) for n in sizes]
    return (_AllGather.apply(x.contiguous(),
                             sizes), sum(sizes[:dist.get_rank()]))
