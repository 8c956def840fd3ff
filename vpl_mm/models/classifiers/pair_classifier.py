from typing import Dict, List, Optional, Tuple

import torch
from mmengine.runner.checkpoint import load_checkpoint
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..utils.branches import BRANCHES, embed_and_logits
from .two_branch_classifier import TwoBranchClassifier


@MODELS.register_module()
class PairClassifier(TwoBranchClassifier):
    """A CNN and a transformer classifier trained as a pair (VPL, Fig. 1).

    Both branches are complete stock classifiers (see
    :class:`TwoBranchClassifier`). In training the loss is eq. 7: each
    branch's own head loss (eq. 1, 2) plus the active terms of the Pair
    Learning Module, :class:`PairLearningHead`, which owns every term and
    what the terms need (recorded layers, connectors, EMA copies): this
    class runs the branches and hands their outputs over.

    A branch that the head's terms read as a frozen teacher (distillation,
    the paper's "DIS" baseline, Table 4) gets its weights from the head's
    ``teacher_checkpoint`` (loaded strictly by :meth:`init_weights`), gets
    no gradient and no loss of its own, stays in the head's
    ``teacher_mode`` (eval by default), and its parameters are left out of
    the optimizer (MMEngine's constructor skips ``requires_grad=False``
    parameters when ``paramwise_cfg`` is set, as in our configs).

    Args:
        pair_head (dict, optional): Config of the PLM. ``type`` defaults to
            ``'PairLearningHead'``; its table defaults to the paper's.
        **kwargs: Arguments of :class:`TwoBranchClassifier`: ``cnn`` and
            ``trans`` (each a complete classifier config), ``pred_branch``
            (default ``'trans'``), the speed and memory switches
            ``channels_last``, ``grad_checkpoint``, ``compile``,
            ``data_preprocessor``, ``init_cfg``.
    """

    def __init__(self, pair_head: Optional[dict] = None, **kwargs) -> None:
        super().__init__(**kwargs)
        pair_head = dict(pair_head or {})
        pair_head.setdefault('type', 'PairLearningHead')
        self.pair_head = MODELS.build(pair_head)
        self.pair_head.prepare({name: self.branch(name)
                                for name in BRANCHES},
                               compiled=self.compile_options is not None)
        if self.pair_head.teacher is not None:
            self.branch(self.pair_head.teacher).requires_grad_(False)

    def init_weights(self) -> None:
        """Initialise as configured; then load the teacher, if any."""
        super().init_weights()
        if self.pair_head.teacher is not None:
            load_checkpoint(
                self.branch(self.pair_head.teacher),
                self.pair_head.teacher_checkpoint,
                map_location='cpu',
                strict=True)

    def train(self, mode: bool = True) -> 'PairClassifier':
        """As ``nn.Module.train``; a teacher branch stays in the head's
        ``teacher_mode``."""
        super().train(mode)
        if self.pair_head.teacher is not None:
            self.branch(self.pair_head.teacher).train(
                mode and self.pair_head.teacher_mode == 'train')
        return self

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Eq. 7 for one batch.

        Returns:
            dict[str, Tensor]: ``loss_cnn`` and ``loss_trans`` (each branch's
            own head loss, eq. 1, 2; other keys its head returns get the
            branch name as suffix; none for a frozen teacher) plus the
            active PLM terms' keys (``loss_cl``, ``loss_kl``, ...).
        """
        return self.pair_losses(inputs, data_samples)[0]

    def pair_losses(
        self, inputs: torch.Tensor, data_samples: List[DataSample]
    ) -> Tuple[Dict[str, torch.Tensor], Dict[str, dict]]:
        """:meth:`loss`, with what each branch gave the PLM.

        Returns:
            tuple[dict, dict]: The losses, and per branch its ``embed``,
            ``logits`` and recorded ``layers``, and its distillation token's
            ``dist_embed`` and ``dist_logits`` where terms teach it (see
            :meth:`PairLearningHead.loss`).
        """
        losses, outputs = dict(), dict()
        for name in BRANCHES:
            learns = name != self.pair_head.teacher
            branch = self.branch(name)
            with torch.set_grad_enabled(learns and torch.is_grad_enabled()), \
                    self.pair_head.recording(name, branch) as layers:
                feats = self.branch_feat(name, inputs)
                h, z = embed_and_logits(branch, feats,
                                        self._logits_layers[name])
            outputs[name] = dict(embed=h, logits=z, layers=layers)
            if name in self.pair_head.dist_branches:
                outputs[name]['dist_embed'], outputs[name]['dist_logits'] = \
                    branch.head.dist_embed_and_logits(feats)
            if learns:
                losses.update(self.branch_loss(name, z, data_samples))
        labels = (
            torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
            if 'gt_label' in data_samples[0] else None)
        losses.update(
            self.pair_head.loss(
                outputs,
                labels,
                inputs={
                    name: self.branch_inputs(name, inputs)
                    for name in BRANCHES
                },
                branches={name: self.branch(name)
                          for name in BRANCHES}))
        return losses, outputs
