import math
from typing import Optional

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS

from ..utils import all_gather_with_grad
from ._utils import check_pair, check_temperature, check_weight, fp32


@MODELS.register_module()
class PairContrastiveLoss(nn.Module):
    r"""Contrastive loss between the two branches' embeddings (eq. 3-5).

    For the CNN anchor :math:`h_i^{cnn}`, eq. 3-4 give

    .. math::
        P(h_i^{cnn}, h_i^{trans}) = \frac{e^{s(h_i^{cnn}, h_i^{trans})/\tau}}
        {\sum_{j=1}^N e^{s(h_i^{cnn}, h_j^{trans})/\tau}
         + \sum_{k \ne i} e^{s(h_i^{cnn}, h_k^{cnn})/\tau}},

    a :math:`(2N-1)`-way classification, and symmetrically for the
    transformer anchor. Eq. 5 averages :math:`-\log P` over the :math:`2N`
    anchors. The similarity :math:`s` is the dot product, as in the paper;
    ``normalize=True`` makes it cosine similarity instead.

    The loss stops no gradient itself: which branch it reaches is decided by
    :class:`PairLearningHead` (paper Fig. 1). It is computed in fp32 with a
    log-sum-exp, also under autocast. With ``N = 1`` the only candidate is
    the positive and the loss is 0.

    With ``gather=True`` under ``torch.distributed``, the candidates of eq.
    3-4 are the embeddings of every rank (N is the global batch), as on one
    device with the whole batch; each rank's anchors are its own, and the
    gradient of the other ranks' terms reaches each rank's embeddings (see
    :func:`~vpl_mm.models.utils.all_gather_with_grad`). Each rank returns
    its anchors' mean weighted by its share of the global batch,
    ``world_size * n_rank / N``, so that the mean over ranks of the returned
    losses is eq. 5 over the global batch, and DDP's gradient averaging gives
    that loss's gradient exactly — also when the ranks hold different
    numbers of images (an epoch's last batch). With equal batches the weight
    is 1. Without ``gather``, each rank's N is its own batch.

    Beyond the paper (off by default): ``exclude_same_class=True``: with
    ``labels`` given, the other images of the anchor's class are removed
    from its candidates (SupCon's observation, Khosla et al. 2020: with few
    classes a batch holds many same-class "negatives", and pushing them
    apart fights the classification loss).

    Args:
        temperature (float): :math:`\tau` of eq. 3-4, > 0. Defaults to 1.0.
        loss_weight (float): Weight of the loss. Defaults to 1.0.
        normalize (bool): L2-normalise the embeddings first (cosine
            similarity). Defaults to False (the paper's dot product).
        gather (bool): Take the negatives from every rank's batch. Costs
            two all-gathers forward and two all-reduces backward of (N, d).
            Defaults to False.
        exclude_same_class (bool): Drop same-class candidates other than the
            positive, when ``labels`` are given. Defaults to False.

    Example:
        >>> import torch
        >>> loss = PairContrastiveLoss(temperature=0.1)
        >>> h = torch.randn(4, 8)
        >>> loss(h, h + 0.01 * torch.randn(4, 8)).shape
        torch.Size([])
    """

    # eq. 3-5 compare each image with the batch's others
    min_batch = 2

    def __init__(self,
                 temperature: float = 1.0,
                 loss_weight: float = 1.0,
                 normalize: bool = False,
                 gather: bool = False,
                 exclude_same_class: bool = False) -> None:
        super().__init__()
        self.temperature = check_temperature(type(self).__name__, temperature)
        self.loss_weight = check_weight(type(self).__name__, loss_weight)
        self.normalize = normalize
        self.gather = gather
        self.exclude_same_class = exclude_same_class

    def forward(self,
                h_cnn: torch.Tensor,
                h_trans: torch.Tensor,
                labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """Compute :math:`L_{CL}` of eq. 5.

        Args:
            h_cnn (Tensor): CNN embeddings, shape (N, d).
            h_trans (Tensor): Transformer embeddings, shape (N, d); row i is
                the same image as row i of ``h_cnn``.
            labels (Tensor, optional): Class indices (N, ), used by
                ``exclude_same_class``. Defaults to None.

        Returns:
            Tensor: The weighted scalar loss, fp32.
        """
        check_pair(type(self).__name__, '(N, d) embeddings', h_cnn, h_trans)
        with fp32(h_cnn.device):
            a, b = h_cnn.float(), h_trans.float()
            if self.normalize:
                a, b = F.normalize(a, dim=1), F.normalize(b, dim=1)
            n = a.size(0)
            # all candidates: this rank's rows, or every rank's with gather
            (all_a, start), (all_b, _) = (
                all_gather_with_grad(t) if self.gather else (t, 0)
                for t in (a, b))
            # target[i]: column of anchor i's partner (the positive)
            target = torch.arange(start, start + n, device=a.device)
            self_pair = torch.zeros(
                n, all_a.size(0), dtype=torch.bool, device=a.device)
            self_pair[torch.arange(n), target] = True
            # k != i in eq. 4: an anchor is never its own negative.
            same = self_pair
            other = torch.zeros_like(self_pair)  # cross-branch removals
            if self.exclude_same_class and labels is not None:
                all_labels = (
                    all_gather_with_grad(labels)[0] if self.gather else labels)
                same = labels.view(-1, 1) == all_labels.view(1, -1)
                other = same & ~self_pair  # keep the positive

            def sim(x, y, removed):  # scaled, then masked (no -inf * 0)
                s = (x @ y.t()) / self.temperature
                return s.masked_fill(removed, -math.inf)

            # Rows 0..n-1: CNN anchors; rows n..2n-1: transformer ones.
            logits = torch.cat([
                torch.cat([sim(a, all_b, other),
                           sim(a, all_a, same)], 1),
                torch.cat([sim(b, all_a, other),
                           sim(b, all_b, same)], 1),
            ])
            target = target.repeat(2)
            loss = F.cross_entropy(logits, target)
            if self.gather and all_a.size(0) != n:
                # this rank's share of the global mean (see the docstring)
                loss = loss * (dist.get_world_size() * n / all_a.size(0))
        return self.loss_weight * loss
