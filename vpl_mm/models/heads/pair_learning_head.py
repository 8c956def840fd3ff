from typing import Dict, Optional

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class PairLearningHead(BaseModule):
    r"""Pair Learning Module (PLM) of VPL (paper Fig. 1, eq. 3-6).

    Owns the contrastive loss (eq. 3-5), the KL loss (eq. 6) and the affine
    layer that aligns the embedding sizes when they differ. It is only used
    in training: after training the two branches work without it.

    With ``restrict_grad=True`` (the paper's design) the contrastive gradient
    reaches only the transformer (the CNN embedding is detached) and the KL
    gradient reaches only the CNN (the transformer logits, the KL target, are
    detached). ``restrict_grad=False`` is the "Bi" ablation of Table 7. The
    projection sits after the stop-gradient, so it learns in both designs.

    ``kl_target`` names the branch whose prediction is the KL's target
    distribution :math:`p` in :math:`KL(p \| q)`. Eq. 6 makes it the
    transformer (``'trans'``, the default). In distillation the target is the
    teacher's (Hinton et al. 2015; DeiT's soft distillation): a CNN teaching a
    transformer needs ``kl_target='cnn'``, i.e. :math:`KL(p_{cnn} \|
    p_{trans})`, not eq. 6's reverse KL. :class:`PairClassifier` sets it from
    its ``teacher``. With ``restrict_grad`` the target side is detached, so
    the KL gradient reaches only the other branch.

    ``kl_gate`` (beyond the paper) lets the KL act only on the samples where
    the target's prediction is no worse than the learner's, so that a
    stronger learner is not pulled toward a weaker target
    (``'target_better'``: the target gives the true class at least the
    learner's probability; ``'target_correct'``: the target's top-1 is the
    true class). It needs the labels; the gate carries no gradient and the
    sum of the kept terms is still divided by N.

    Which terms are on is held in the public flags ``use_cl`` and ``use_kl``;
    :class:`StageSwitchHook` sets them per eq. 7.

    Args:
        cnn_channels (int): Size of the CNN embedding :math:`h^{cnn}`.
        trans_channels (int): Size of the transformer embedding
            :math:`h^{trans}`.
        cl_loss (dict): Config of the contrastive loss. Defaults to
            ``dict(type='PairContrastiveLoss', temperature=1.0)``.
        kl_loss (dict): Config of the KL loss. Defaults to
            ``dict(type='PairKLDivLoss', temperature=1.0)``.
        restrict_grad (bool): Restrict each term's gradient to one branch.
            Defaults to True.
        kl_target (str): The branch whose prediction is the KL target,
            ``'trans'`` (eq. 6) or ``'cnn'``. Defaults to ``'trans'``.
        kl_gate (str, optional): ``'target_better'``, ``'target_correct'``
            or None (eq. 6: every sample). Defaults to None.
        with_proj (bool): Allow the affine projection when the sizes differ.
            If False, differing sizes are an error. Defaults to True.
        proj_side (str): Which embedding the projection maps into the other's
            space, ``'cnn'`` or ``'trans'``. Defaults to ``'cnn'``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    SIDES = ('cnn', 'trans')
    KL_GATES = (None, 'target_better', 'target_correct')

    def __init__(self,
                 cnn_channels: int,
                 trans_channels: int,
                 cl_loss: dict = dict(
                     type='PairContrastiveLoss', temperature=1.0),
                 kl_loss: dict = dict(type='PairKLDivLoss', temperature=1.0),
                 restrict_grad: bool = True,
                 kl_target: str = 'trans',
                 kl_gate: Optional[str] = None,
                 with_proj: bool = True,
                 proj_side: str = 'cnn',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for key, side in (('proj_side', proj_side), ('kl_target', kl_target)):
            if side not in self.SIDES:
                raise ValueError(f'PairLearningHead: `{key}` must be one of '
                                 f'{self.SIDES}, got {side!r}')
        self.cl_loss = MODELS.build(cl_loss)
        self.kl_loss = MODELS.build(kl_loss)
        self.restrict_grad = restrict_grad
        if kl_gate not in self.KL_GATES:
            raise ValueError(f'PairLearningHead: `kl_gate` must be one of '
                             f'{self.KL_GATES}, got {kl_gate!r}')
        self.kl_target = kl_target
        self.kl_gate = kl_gate
        self.proj_side = proj_side
        self.proj: Optional[nn.Linear] = None
        if cnn_channels != trans_channels:
            if not with_proj:
                raise ValueError(
                    'PairLearningHead: the embedding sizes differ (cnn '
                    f'{cnn_channels}, trans {trans_channels}) and '
                    '`with_proj=False`, so they cannot be compared. Set '
                    '`with_proj=True` to add the affine projection.')
            sizes = dict(cnn=cnn_channels, trans=trans_channels)
            other = 'trans' if proj_side == 'cnn' else 'cnn'
            self.proj = nn.Linear(sizes[proj_side], sizes[other])
        self.use_cl = True
        self.use_kl = True

    def loss(self,
             h_cnn: torch.Tensor,
             h_trans: torch.Tensor,
             z_cnn: torch.Tensor,
             z_trans: torch.Tensor,
             labels: Optional[torch.Tensor] = None) -> Dict[str, torch.Tensor]:
        """Compute the active PLM terms.

        Args:
            h_cnn (Tensor): CNN embeddings, (N, cnn_channels).
            h_trans (Tensor): Transformer embeddings, (N, trans_channels).
            z_cnn (Tensor): CNN logits, (N, C).
            z_trans (Tensor): Transformer logits, (N, C).
            labels (Tensor, optional): Class indices (N, ), for
                ``kl_gate`` and the contrastive loss's
                ``exclude_same_class``. Defaults to None.

        Returns:
            dict[str, Tensor]: ``loss_cl`` if ``use_cl``, ``loss_kl`` if
            ``use_kl``.
        """
        losses = dict()
        if self.use_cl:
            if self.restrict_grad:
                h_cnn = h_cnn.detach()
            h_cnn, h_trans = self._align(h_cnn, h_trans)
            losses['loss_cl'] = self.cl_loss(h_cnn, h_trans, labels)
        if self.use_kl:
            target, student = ((z_trans,
                                z_cnn) if self.kl_target == 'trans' else
                               (z_cnn, z_trans))
            if self.restrict_grad:
                target = target.detach()
            loss_kl = self.kl_loss(student, target,
                                   self._gate(student, target, labels))
            if not self.use_cl and self.proj is not None:
                # Eq. 7's last stage leaves the projection unused; a zero
                # term keeps it in the graph so that DDP does not fail.
                loss_kl = loss_kl + sum(p.sum()
                                        for p in self.proj.parameters()) * 0.
            losses['loss_kl'] = loss_kl
        return losses

    def _gate(self, student: torch.Tensor, target: torch.Tensor,
              labels: Optional[torch.Tensor]) -> Optional[torch.Tensor]:
        """Per-sample KL weights (0 or 1) for ``kl_gate``, or None."""
        if self.kl_gate is None:
            return None
        if labels is None:
            raise ValueError(f'PairLearningHead: kl_gate={self.kl_gate!r} '
                             'needs the labels')
        with torch.no_grad():
            if self.kl_gate == 'target_correct':
                keep = target.argmax(1) == labels
            else:
                rows = torch.arange(labels.numel(), device=labels.device)
                keep = (
                    target.float().softmax(1)[rows, labels]
                    >= student.float().softmax(1)[rows, labels])
        return keep.float()

    def _align(self, h_cnn: torch.Tensor, h_trans: torch.Tensor):
        """Project one side so that both embeddings have the same size."""
        if self.proj is None:
            return h_cnn, h_trans
        if self.proj_side == 'cnn':
            return self.proj(h_cnn), h_trans
        return h_cnn, self.proj(h_trans)
