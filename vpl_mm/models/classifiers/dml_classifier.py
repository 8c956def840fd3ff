from contextlib import contextmanager
from typing import Dict, List, Union

import torch
import torch.nn as nn
from mmengine.optim import OptimWrapper
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils.branches import BRANCHES, has_dist_token
from .two_branch_classifier import TwoBranchClassifier


@contextmanager
def frozen_norm_statistics(module: nn.Module):
    """Normalise with the batch's statistics without updating the running
    ones: BatchNorm layers in train mode stop tracking for the duration.

    ``_BatchNorm.forward`` in train mode with ``track_running_stats=False``
    uses the batch statistics and leaves ``running_mean``/``running_var``/
    ``num_batches_tracked`` untouched.
    """
    norms = [
        m for m in module.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
        and m.track_running_stats
    ]
    for m in norms:
        m.track_running_stats = False
    try:
        yield
    finally:
        for m in norms:
            m.track_running_stats = True


@MODELS.register_module()
class DMLClassifier(TwoBranchClassifier):
    """Deep Mutual Learning (Zhang et al. 2018), the paper's Table 3 baseline.

    The two branches learn in turn, as DML's Algorithm 1: predict with both;
    update the CNN with its cross-entropy plus KL(p_trans || p_cnn)
    (temperature 1, the transformer's prediction fixed); predict again with
    the updated CNN; update the transformer with its cross-entropy plus
    KL(p_cnn || p_trans) against that fresh prediction. One iteration thus
    costs three forward passes and two optimizer steps, as DML does (VPL:
    two forward passes, one step). The fresh prediction is made in train
    mode (batch statistics, as the first) but leaves the CNN's BatchNorm
    running statistics alone, so that they see each batch once, as in DML.

    One optimizer holds both branches: a step only moves the parameters that
    have gradients (``zero_grad`` sets the others to None). Under DDP use
    ``model_wrapper_cfg=dict(type='MMSeparateDistributedDataParallel')`` so
    that this ``train_step`` runs and each branch syncs its own gradients.

    Args:
        kl_loss (dict): The KL term. Defaults to
            ``dict(type='PairKLDivLoss', temperature=1.0)`` (DML's).
            A branch whose head has a distillation token
            (:class:`DistTokenClsHead`) is refused.
        **kwargs: Arguments of :class:`TwoBranchClassifier` (``cnn``,
            ``trans``, ``pred_branch``, the speed and memory switches,
            ``data_preprocessor``, ``init_cfg``).
    """

    def __init__(self,
                 kl_loss: dict = dict(type='PairKLDivLoss', temperature=1.0),
                 **kwargs) -> None:
        super().__init__(**kwargs)
        self.kl_loss = MODELS.build(kl_loss)
        for name in BRANCHES:
            head = self.branch(name).head
            if has_dist_token(head):
                raise ValueError(
                    f'DMLClassifier: the head of branch `{name}` '
                    f'({type(head).__name__}) has a distillation token, but '
                    "DML's terms read the branch's logits (the mean of both "
                    "tokens'), so nothing would teach the token apart: use "
                    'a head without it, or PairClassifier with a term with '
                    'dist_token=True')

    def _logits(self, name: str, inputs: torch.Tensor) -> torch.Tensor:
        # through the branch's own forward, so that a DDP wrapper syncs it
        return getattr(self, name)(
            self.branch_inputs(name, inputs), mode='tensor')

    def _step_loss(self, name: str, logits: torch.Tensor,
                   partner_logits: torch.Tensor,
                   data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        losses = self.branch_loss(name, logits, data_samples)
        losses[f'loss_kl_{name}'] = self.kl_loss(logits,
                                                 partner_logits.detach())
        return losses

    def train_step(self, data: Union[dict, tuple, list],
                   optim_wrapper: OptimWrapper) -> Dict[str, torch.Tensor]:
        """One DML iteration: the CNN's update, then the transformer's.

        A non-finite loss term is handled as in :meth:`parse_losses`: by
        default a NaN input stops before the CNN's update.

        Raises:
            ValueError: with gradient accumulation (``accumulative_counts``),
                which counts updates, and DML makes two per iteration.
        """
        # MMEngine's OptimWrapper keeps the count private; no public getter
        # (canary: tests/test_upstream_contract.py).
        if optim_wrapper._accumulative_counts != 1:
            raise ValueError(
                'DMLClassifier updates each branch in turn, twice per '
                'iteration, so optim_wrapper.accumulative_counts='
                f'{optim_wrapper._accumulative_counts} would mix the two '
                'updates; use a larger batch instead.')
        cnn, trans = BRANCHES
        with optim_wrapper.optim_context(self):
            data = self.data_preprocessor(data, True)
            inputs, samples = data['inputs'], data['data_samples']
            z_cnn = self._logits(cnn, inputs)
            z_trans = self._logits(trans, inputs)
            cnn_losses = self._step_loss(cnn, z_cnn, z_trans, samples)
        loss, log_vars = self.parse_losses(cnn_losses)
        optim_wrapper.update_params(loss)

        with optim_wrapper.optim_context(self), torch.no_grad(), \
                frozen_norm_statistics(self.branch(cnn)):
            fresh_cnn = self._logits(cnn, inputs)
        with optim_wrapper.optim_context(self):
            trans_losses = self._step_loss(trans, z_trans, fresh_cnn, samples)
        loss, trans_log_vars = self.parse_losses(trans_losses)
        optim_wrapper.update_params(loss)
        log_vars.update(trans_log_vars)
        log_vars['loss'] = sum(v for k, v in log_vars.items()
                               if k.startswith('loss_'))
        return log_vars

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Both branches' losses on one batch, with the same partners (for
        ``mode='loss'``; training uses :meth:`train_step`)."""
        z = {name: self._logits(name, inputs) for name in BRANCHES}
        losses = self._step_loss('cnn', z['cnn'], z['trans'], data_samples)
        losses.update(
            self._step_loss('trans', z['trans'], z['cnn'], data_samples))
        return losses
