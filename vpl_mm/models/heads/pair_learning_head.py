from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ..utils import BRANCHES


@MODELS.register_module()
class PairLearningHead(BaseModule):
    r"""Pair Learning Module (PLM) of VPL (paper Fig. 1, eq. 3-7).

    Owns the contrastive loss (eq. 3-5), the KL loss (eq. 6), the affine
    layer that aligns the embedding sizes when they differ, and which of
    them each stage of eq. 7 switches on (:meth:`set_stage`). It is only
    used in training: after training the two branches work without it.

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

    Beyond the paper (each off by default; the paper-literal PLM is the
    default):

    - ``kl_gate`` lets the KL act only on the samples where the target's
      prediction is no worse than the learner's, so that a stronger learner
      is not pulled toward a weaker target (``'target_better'``: the target
      gives the true class at least the learner's probability, both at the
      loss's temperature; ``'target_correct'``: the target's top-1 is the
      true class). It needs the labels; the gate carries no gradient and the
      sum of the kept terms is still divided by N. The share of samples kept
      is returned as ``kl_keep`` (logged with the losses).
    - ``kd_loss``: a second transfer of logits, from the CNN to the
      transformer (the CNN's prediction detached, always): a
      :class:`PairKLDivLoss` gives :math:`KL(p_{cnn} \| p_{trans})` (e.g. at
      temperature 4 with ``t_squared=True``, as Bootstrapping ViTs and
      Hinton et al.), a :class:`PairHardLabelLoss` DeiT's cross-entropy
      against the CNN's top-1. ``kd_gate`` gates it as ``kl_gate`` does the
      KL (here the CNN is the target), returned as ``kd_keep``. So each
      branch can learn from its partner only where the partner is right.
    - ``feat_loss``: feature guidance from the CNN to the transformer
      (:class:`PairFeatureLoss`) at the layers ``feat_layers`` names, e.g.
      ``dict(cnn=['backbone.layer2'], trans=['backbone.layers.1'])``;
      :class:`PairClassifier` captures those layers' outputs and fills in
      the channels. The CNN's maps are detached: only the transformer learns.
    - ``cl_proj``: an MLP projection per branch for the contrastive term
      (Linear, ReLU, Linear to ``out_channels``), as MCL and CRD use between
      heterogeneous networks (see ``shared/notes/literature.md``), in place
      of the paper's affine layer; use it with a cosine similarity
      (``cl_loss.normalize=True``).

    Eq. 7 switches the terms in two groups (:attr:`STAGES`): ``use_cl``, the
    terms through which the CNN teaches the transformer — the contrastive
    term (paper, "Multi-Stage Training": in the first stage "CNN will lead
    the training and feeds additional gradient flow to the transformer") and
    ``kd_loss``, ``feat_loss``; ``use_kl``, eq. 6's KL.
    :class:`StageSwitchHook` calls :meth:`set_stage`.

    Args:
        cnn_channels (int): Size of the CNN embedding :math:`h^{cnn}`.
        trans_channels (int): Size of the transformer embedding
            :math:`h^{trans}`.
        cl_loss (dict): Config of the contrastive loss. Defaults to
            ``dict(type='PairContrastiveLoss', temperature=1.0)``.
        kl_loss (dict, optional): Config of the KL loss; None: no eq. 6
            term (e.g. distillation by ``kd_loss`` alone). Defaults to
            ``dict(type='PairKLDivLoss', temperature=1.0)``.
        restrict_grad (bool): Restrict each term's gradient to one branch.
            Defaults to True.
        kl_target (str): The branch whose prediction is the KL target,
            ``'trans'`` (eq. 6) or ``'cnn'``. Defaults to ``'trans'``.
        kl_gate (str, optional): ``'target_better'``, ``'target_correct'``
            or None (eq. 6: every sample). Defaults to None.
        kd_loss (dict, optional): CNN-to-transformer logit transfer.
            Defaults to None.
        kd_gate (str, optional): Gate of ``kd_loss``, as ``kl_gate``.
            Defaults to None.
        feat_loss (dict, optional): CNN-to-transformer feature guidance
            (:class:`PairFeatureLoss`). Defaults to None.
        feat_layers (dict, optional): ``dict(cnn=[...], trans=[...])``,
            module names inside each branch classifier, one transformer
            layer per CNN layer; needed with ``feat_loss``. Defaults to None.
        cl_proj (dict, optional): ``dict(out_channels=128,
            hidden_channels=None)`` for an MLP projection per branch
            (``hidden_channels`` defaults to the branch's embedding size).
            Defaults to None (the paper's affine layer, if sizes differ).
        proj_side (str): Which embedding the projection maps into the other's
            space, ``'cnn'`` or ``'trans'``. Defaults to ``'cnn'``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    KL_GATES = (None, 'target_better', 'target_correct')
    # eq. 7: stage name -> (use_cl, use_kl)
    STAGES = {
        'CL only': (True, False),
        'CL + KL': (True, True),
        'KL only': (False, True),
    }

    def __init__(self,
                 cnn_channels: int,
                 trans_channels: int,
                 cl_loss: dict = dict(
                     type='PairContrastiveLoss', temperature=1.0),
                 kl_loss: Optional[dict] = dict(
                     type='PairKLDivLoss', temperature=1.0),
                 restrict_grad: bool = True,
                 kl_target: str = 'trans',
                 kl_gate: Optional[str] = None,
                 kd_loss: Optional[dict] = None,
                 kd_gate: Optional[str] = None,
                 feat_loss: Optional[dict] = None,
                 feat_layers: Optional[Dict[str, Sequence[str]]] = None,
                 cl_proj: Optional[dict] = None,
                 proj_side: str = 'cnn',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        for key, side in (('proj_side', proj_side), ('kl_target', kl_target)):
            if side not in BRANCHES:
                raise ValueError(f'PairLearningHead: `{key}` must be one of '
                                 f'{BRANCHES}, got {side!r}')
        for key, gate in (('kl_gate', kl_gate), ('kd_gate', kd_gate)):
            if gate not in self.KL_GATES:
                raise ValueError(f'PairLearningHead: `{key}` must be one of '
                                 f'{self.KL_GATES}, got {gate!r}')
        if (feat_loss is None) != (feat_layers is None):
            raise ValueError('PairLearningHead: `feat_loss` and '
                             '`feat_layers` go together')
        self.cl_loss = MODELS.build(cl_loss)
        self.kl_loss = None if kl_loss is None else MODELS.build(kl_loss)
        self.kd_loss = None if kd_loss is None else MODELS.build(kd_loss)
        self.feat_layers = None
        self.feat_loss = None
        if feat_loss is not None:
            self.feat_layers = {
                side: list(feat_layers.get(side) or [])
                for side in BRANCHES
            }
            self.feat_loss = MODELS.build(feat_loss)
        self.restrict_grad = restrict_grad
        self.kl_target = kl_target
        self.kl_gate = kl_gate
        self.kd_gate = kd_gate
        self.proj_side = proj_side
        self.proj: Optional[nn.Linear] = None
        self.cl_proj: Optional[nn.ModuleDict] = None
        sizes = dict(cnn=cnn_channels, trans=trans_channels)
        if cl_proj is not None:
            cl_proj = dict(cl_proj)
            out = cl_proj.pop('out_channels', 128)
            hidden = cl_proj.pop('hidden_channels', None)
            if cl_proj:
                raise ValueError('PairLearningHead: unknown `cl_proj` keys '
                                 f'{sorted(cl_proj)}; use out_channels, '
                                 'hidden_channels')
            self.cl_proj = nn.ModuleDict({
                side:
                nn.Sequential(
                    nn.Linear(size, hidden or size), nn.ReLU(inplace=True),
                    nn.Linear(hidden or size, out))
                for side, size in sizes.items()
            })
        elif cnn_channels != trans_channels:
            other = 'trans' if proj_side == 'cnn' else 'cnn'
            self.proj = nn.Linear(sizes[proj_side], sizes[other])
        self.use_cl = True
        self.use_kl = True

    def set_stage(self, stage: str) -> bool:
        """Switch the terms on and off for a stage of eq. 7.

        Args:
            stage (str): A key of :attr:`STAGES`.

        Returns:
            bool: Whether anything changed.
        """
        if stage not in self.STAGES:
            raise ValueError(f'PairLearningHead: unknown stage {stage!r}; '
                             f'one of {list(self.STAGES)}')
        flags = self.STAGES[stage]
        changed = (self.use_cl, self.use_kl) != flags
        self.use_cl, self.use_kl = flags
        return changed

    def log_keys(self, active: bool = True) -> List[str]:
        """The keys :meth:`loss` returns when its terms are on (``active``),
        or those of the terms that are now off (``active=False``)."""
        groups = [
            (self.use_cl,
             ['loss_cl'] + (['loss_kd'] if self.kd_loss is not None else []) +
             (['kd_keep'] if self.kd_gate is not None else []) +
             (['loss_feat'] if self.feat_loss is not None else [])),
            (self.use_kl, (['loss_kl'] if self.kl_loss is not None else []) +
             (['kl_keep'] if self.kl_gate is not None else []))
        ]
        return [key for on, keys in groups if on == active for key in keys]

    def loss(
        self,
        h_cnn: torch.Tensor,
        h_trans: torch.Tensor,
        z_cnn: torch.Tensor,
        z_trans: torch.Tensor,
        labels: Optional[torch.Tensor] = None,
        feats: Optional[Dict[str, List[torch.Tensor]]] = None
    ) -> Dict[str, torch.Tensor]:
        """Compute the active PLM terms.

        Args:
            h_cnn (Tensor): CNN embeddings, (N, cnn_channels).
            h_trans (Tensor): Transformer embeddings, (N, trans_channels).
            z_cnn (Tensor): CNN logits, (N, C).
            z_trans (Tensor): Transformer logits, (N, C).
            labels (Tensor, optional): Class indices (N, ), for the gates
                and the contrastive loss's ``exclude_same_class``. Defaults
                to None.
            feats (dict, optional): ``dict(cnn=[...], trans=[...])``, the
                outputs of ``feat_layers`` as (N, C, H, W) maps; needed with
                ``feat_loss``. Defaults to None.

        Returns:
            dict[str, Tensor]: ``loss_cl`` (and ``loss_kd``, ``loss_feat``,
            ``kd_keep`` where configured) if ``use_cl``; ``loss_kl`` (and
            ``kl_keep``) if ``use_kl``.
        """
        losses = dict()
        if self.use_cl:
            h_c = h_cnn.detach() if self.restrict_grad else h_cnn
            h_c, h_t = self._align(h_c, h_trans)
            losses['loss_cl'] = self.cl_loss(h_c, h_t, labels)
            if self.kd_loss is not None:
                losses.update(
                    self._transfer('kd', self.kd_loss, self.kd_gate, z_trans,
                                   z_cnn.detach(), labels))
            if self.feat_loss is not None:
                if not feats:
                    raise ValueError('PairLearningHead: feat_loss needs '
                                     '`feats` (PairClassifier gives them)')
                losses['loss_feat'] = self.feat_loss(
                    [f.detach() for f in feats['cnn']], feats['trans'])
        if self.use_kl and self.kl_loss is not None:
            target, student = ((z_trans,
                                z_cnn) if self.kl_target == 'trans' else
                               (z_cnn, z_trans))
            if self.restrict_grad:
                target = target.detach()
            losses.update(
                self._transfer('kl', self.kl_loss, self.kl_gate, student,
                               target, labels))
        self._keep_in_graph(losses)
        return losses

    def _transfer(self, name: str, loss_fn: nn.Module, gate: Optional[str],
                  student: torch.Tensor, target: torch.Tensor,
                  labels: Optional[torch.Tensor]) -> Dict[str, torch.Tensor]:
        """``loss_<name>`` of a logit transfer, and ``<name>_keep`` (the
        share of samples its gate kept) if gated."""
        if gate is None:
            return {f'loss_{name}': loss_fn(student, target)}
        keep = self._gate(gate, student, target, labels,
                          getattr(loss_fn, 'temperature', 1.0))
        return {
            f'loss_{name}': loss_fn(student, target, keep),
            f'{name}_keep': keep.mean()
        }

    @staticmethod
    def _gate(gate: str, student: torch.Tensor, target: torch.Tensor,
              labels: Optional[torch.Tensor],
              temperature: float) -> torch.Tensor:
        """Per-sample weights (0 or 1) of a gate, from the predictions at
        the loss's ``temperature``."""
        if labels is None:
            raise ValueError(f'PairLearningHead: gate {gate!r} needs the '
                             'labels')
        with torch.no_grad():
            if gate == 'target_correct':
                keep = target.argmax(1) == labels
            else:
                rows = torch.arange(labels.numel(), device=labels.device)
                p_target, p_student = ((z.float() /
                                        temperature).softmax(1)[rows, labels]
                                       for z in (target, student))
                keep = p_target >= p_student
        return keep.float()

    def _keep_in_graph(self, losses: Dict[str, torch.Tensor]) -> None:
        """Add a zero term of the parameters of the terms that are off, so
        that DDP (``find_unused_parameters=False``) finds every parameter in
        the graph (e.g. the projection in eq. 7's last stage)."""
        if self.use_cl or not losses:
            return
        idle = [p for p in self.parameters() if p.requires_grad]
        if idle:
            key = next(k for k in losses if k.startswith('loss_'))
            losses[key] = losses[key] + sum(p.sum() for p in idle) * 0.

    def _align(self, h_cnn: torch.Tensor,
               h_trans: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Project the embeddings for the contrastive term: each through its
        MLP (``cl_proj``), or one side so that both have the same size."""
        if self.cl_proj is not None:
            return self.cl_proj['cnn'](h_cnn), self.cl_proj['trans'](h_trans)
        if self.proj is None:
            return h_cnn, h_trans
        if self.proj_side == 'cnn':
            return self.proj(h_cnn), h_trans
        return h_cnn, self.proj(h_trans)
