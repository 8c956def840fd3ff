from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.logging import MessageHub
from mmengine.model import BaseModel
from mmengine.runner.checkpoint import load_checkpoint
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

BRANCHES = ('cnn', 'trans')


def _logits_layer(name: str, classifier: nn.Module) -> str:
    """Find the last linear layer of a classifier's head.

    Its input is the embedding ``h`` (the head's ``pre_logits``) and its
    output the logits ``z`` (paper, "Two Branches").

    Args:
        name (str): The branch name, for error messages.
        classifier (nn.Module): A stock classifier (``ImageClassifier``).

    Returns:
        str: The layer's name within ``classifier``.
    """
    head = getattr(classifier, 'head', None)
    if head is None or not hasattr(head, 'pre_logits') or not hasattr(
            classifier, 'extract_feat'):
        raise TypeError(
            f'PairClassifier: branch `{name}` must be a classifier with '
            '`extract_feat` and a head with `pre_logits` (e.g. '
            f'ImageClassifier), got {type(classifier).__name__}')
    linears = [(n, m) for n, m in head.named_modules()
               if isinstance(m, nn.Linear)]
    num_classes = getattr(head, 'num_classes', None)
    if not linears or linears[-1][1].out_features != num_classes:
        raise TypeError(
            f'PairClassifier: the head of branch `{name}` '
            f'({type(head).__name__}) must end in a linear layer with '
            '`num_classes` outputs, whose input is the embedding.')
    return f'head.{linears[-1][0]}'


@MODELS.register_module()
class PairClassifier(BaseModel):
    """A CNN and a transformer classifier trained as a pair (VPL, Fig. 1).

    Both branches are complete stock classifiers, built unchanged and kept as
    ``self.cnn`` and ``self.trans``: each can be used, or exported, alone.
    They read the same preprocessed images. In training the loss is eq. 7:
    each branch's own head loss (eq. 1, 2) plus the active terms of the
    :class:`PairLearningHead`.

    Args:
        cnn (dict): Config of the CNN branch, e.g. ``dict(type=
            'ImageClassifier', backbone=..., neck=..., head=...)``.
        trans (dict): Config of the transformer branch.
        pair_head (dict, optional): Config of the PLM. ``type`` defaults to
            ``'PairLearningHead'``; ``cnn_channels`` and ``trans_channels``
            are read from the branches' last linear layers.
        pred_branch (str): Which branch gives the top-level ``pred_score``
            and ``pred_label`` in predict mode. Defaults to ``'trans'``.
        teacher (str, optional): ``'cnn'`` or ``'trans'`` to freeze that
            branch as a teacher (the paper's "DIS" baseline, Table 4): its
            weights come from ``teacher_checkpoint`` (loaded strictly by
            :meth:`init_weights`), it stays in eval mode, gets no gradient and
            no loss of its own, and its parameters are left out of the
            optimizer (MMEngine's constructor skips ``requires_grad=False``
            parameters when ``paramwise_cfg`` is set). Defaults to None.
        teacher_checkpoint (str, optional): A checkpoint of the teacher
            classifier alone (e.g. from a solo baseline config).
        data_preprocessor (dict, optional): Shared preprocessor. Defaults to
            ``dict(type='ClsDataPreprocessor')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 cnn: Optional[dict] = None,
                 trans: Optional[dict] = None,
                 pair_head: Optional[dict] = None,
                 pred_branch: str = 'trans',
                 teacher: Optional[str] = None,
                 teacher_checkpoint: Optional[str] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        for name, cfg in zip(BRANCHES, (cnn, trans)):
            if cfg is None:
                raise ValueError(
                    f'PairClassifier: `{name}` is missing; give a complete '
                    "classifier config, e.g. dict(type='ImageClassifier', "
                    'backbone=..., neck=..., head=...)')
        if pred_branch not in BRANCHES:
            raise ValueError(f'PairClassifier: `pred_branch` must be one of '
                             f'{BRANCHES}, got {pred_branch!r}')
        if teacher is not None and teacher not in BRANCHES:
            raise ValueError(f'PairClassifier: `teacher` must be one of '
                             f'{BRANCHES} or None, got {teacher!r}')
        if teacher is not None and not teacher_checkpoint:
            raise ValueError(
                f'PairClassifier: teacher={teacher!r} needs '
                '`teacher_checkpoint`, the trained weights of that branch')
        if data_preprocessor is None or isinstance(data_preprocessor, dict):
            data_preprocessor = dict(data_preprocessor or {})
            data_preprocessor.setdefault('type', 'ClsDataPreprocessor')
            data_preprocessor = MODELS.build(data_preprocessor)
        super().__init__(
            data_preprocessor=data_preprocessor, init_cfg=init_cfg)

        self.cnn = cnn if isinstance(cnn, nn.Module) else MODELS.build(cnn)
        self.trans = trans if isinstance(trans,
                                         nn.Module) else MODELS.build(trans)
        self.pred_branch = pred_branch
        self._logits_layers = {
            name: _logits_layer(name, getattr(self, name))
            for name in BRANCHES
        }
        fcs = {name: self._branch_fc(name) for name in BRANCHES}
        if fcs['cnn'].out_features != fcs['trans'].out_features:
            raise ValueError(
                'PairClassifier: the branches predict different numbers of '
                f"classes (cnn {fcs['cnn'].out_features}, trans "
                f"{fcs['trans'].out_features})")

        pair_head = dict(pair_head or {})
        pair_head.setdefault('type', 'PairLearningHead')
        for name in BRANCHES:
            key, size = f'{name}_channels', fcs[name].in_features
            if pair_head.setdefault(key, size) != size:
                raise ValueError(
                    f'PairClassifier: pair_head.{key}={pair_head[key]} but '
                    f'the {name} embedding has {size} channels')
        self.pair_head = MODELS.build(pair_head)
        self.teacher = teacher
        self.teacher_checkpoint = teacher_checkpoint
        if teacher is not None:
            getattr(self, teacher).requires_grad_(False)

    def init_weights(self) -> None:
        """Initialise as configured; then load the teacher, if any."""
        super().init_weights()
        if self.teacher is not None:
            load_checkpoint(
                getattr(self, self.teacher),
                self.teacher_checkpoint,
                map_location='cpu',
                strict=True)

    def train(self, mode: bool = True) -> 'PairClassifier':
        """As ``nn.Module.train``; a teacher branch stays in eval mode."""
        super().train(mode)
        if self.teacher is not None:
            getattr(self, self.teacher).eval()
        return self

    def _branch_fc(self, name: str) -> nn.Linear:
        return getattr(self, name).get_submodule(self._logits_layers[name])

    def embed(self, name: str,
              inputs: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        """Run one branch once and return its embedding and logits.

        Args:
            name (str): ``'cnn'`` or ``'trans'``.
            inputs (Tensor): Preprocessed images, (N, C, H, W).

        Returns:
            tuple[Tensor, Tensor]: ``h`` (N, d), the input of the branch's
            last linear layer, and ``z`` (N, num_classes), its output.
        """
        branch = getattr(self, name)
        h = branch.head.pre_logits(branch.extract_feat(inputs))
        return h, self._branch_fc(name)(h)

    def forward(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None,
                mode: str = 'tensor'):
        """The unified entry, as MMPretrain's classifiers.

        Args:
            inputs (Tensor): Preprocessed images, (N, C, H, W).
            data_samples (list[DataSample], optional): Annotations; needed
                for ``mode='loss'``.
            mode (str): ``'tensor'`` returns ``dict(cnn=z_cnn,
                trans=z_trans)``; ``'loss'`` a dict of losses; ``'predict'``
                a list of :obj:`DataSample`.
        """
        if mode == 'tensor':
            return {name: self.embed(name, inputs)[1] for name in BRANCHES}
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """Eq. 7 for one batch.

        Returns:
            dict[str, Tensor]: ``loss_cnn`` and ``loss_trans`` (each branch's
            own head loss, eq. 1, 2; other keys its head returns get the
            branch name as suffix; none for a frozen teacher) plus
            ``loss_cl`` / ``loss_kl`` from the PLM when active.
        """
        losses, h, z = dict(), dict(), dict()
        for name in BRANCHES:
            if name == self.teacher:
                with torch.no_grad():
                    h[name], z[name] = self.embed(name, inputs)
                continue
            h[name], z[name] = self.embed(name, inputs)
            # ClsHead.loss would run the head forward a second time; its
            # _get_loss takes the logits we already have (same loss config,
            # same label handling).
            head_losses = getattr(self, name).head._get_loss(
                z[name], data_samples)
            losses.update(
                {f'{key}_{name}': value
                 for key, value in head_losses.items()})
        losses.update(
            self.pair_head.loss(h['cnn'], h['trans'], z['cnn'], z['trans']))
        return losses

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        """MMEngine's ``parse_losses``, refusing non-finite terms.

        A NaN or infinite term would otherwise be averaged into the weights
        silently. Used on one device and under DDP alike.

        Raises:
            FloatingPointError: naming the term and the iteration.
        """
        terms = {k: v for k, v in losses.items() if 'loss' in k}
        if terms and not torch.isfinite(
                torch.stack([v.detach().float().sum()
                             for v in terms.values()])).all():
            bad = [k for k, v in terms.items() if not torch.isfinite(v).all()]
            it = MessageHub.get_current_instance().get_info('iter')
            where = '' if it is None else f' at iteration {it + 1}'
            raise FloatingPointError(
                f'PairClassifier: non-finite {", ".join(bad)}{where} '
                f'({", ".join(f"{k}={terms[k].sum().item()}" for k in bad)}).'
                ' Lower the learning rate or the loss weights, or check the '
                'data; resume from the last checkpoint.')
        return super().parse_losses(losses)

    def predict(self,
                inputs: torch.Tensor,
                data_samples: Optional[List[DataSample]] = None
                ) -> List[DataSample]:
        """Predict with both branches.

        Each returned sample carries the fields ``cnn`` and ``trans`` (a
        :obj:`DataSample` with that branch's ``pred_score``/``pred_label``
        and the ground truth), and at top level the prediction of
        ``pred_branch``.
        """
        if data_samples is None:
            data_samples = [DataSample() for _ in range(inputs.size(0))]
        preds = {}
        for name in BRANCHES:
            branch = getattr(self, name)
            preds[name] = branch.head.predict(
                branch.extract_feat(inputs),
                [sample.clone() for sample in data_samples])
        for name in BRANCHES:
            for sample, pred in zip(data_samples, preds[name]):
                sample.set_field(pred, name)
        for sample in data_samples:
            chosen = sample.get(self.pred_branch)
            sample.set_pred_score(chosen.pred_score).set_pred_label(
                chosen.pred_label)
        return data_samples
