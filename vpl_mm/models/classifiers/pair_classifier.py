from contextlib import contextmanager
from typing import Dict, Iterator, List, Optional

import torch
import torch.nn as nn
from mmengine.runner.checkpoint import load_checkpoint
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..losses import as_feature_map
from ..utils import BRANCHES
from .two_branch_classifier import TwoBranchClassifier


@MODELS.register_module()
class PairClassifier(TwoBranchClassifier):
    """A CNN and a transformer classifier trained as a pair (VPL, Fig. 1).

    Both branches are complete stock classifiers (see
    :class:`TwoBranchClassifier`). In training the loss is eq. 7:
    each branch's own head loss (eq. 1, 2) plus the active terms of the
    :class:`PairLearningHead`.

    With the PLM's feature guidance (``pair_head.feat_loss`` and
    ``feat_layers``, beyond the paper), the outputs of the named layers of
    each branch are captured by forward hooks during the loss forward (not
    in predict or tensor mode) and passed to the head as maps; their
    channels are read by one dry forward at build time.

    Args:
        pair_head (dict, optional): Config of the PLM. ``type`` defaults to
            ``'PairLearningHead'``; ``cnn_channels`` and ``trans_channels``
            are read from the branches' last linear layers, and
            ``feat_loss``'s channels from ``feat_layers``.
        teacher (str, optional): ``'cnn'`` or ``'trans'`` to freeze that
            branch as a teacher (the paper's "DIS" baseline, Table 4): its
            weights come from ``teacher_checkpoint`` (loaded strictly by
            :meth:`init_weights`), it stays in eval mode, gets no gradient and
            no loss of its own, and its parameters are left out of the
            optimizer (MMEngine's constructor skips ``requires_grad=False``
            parameters when ``paramwise_cfg`` is set). The teacher's
            prediction is the KL target (``pair_head.kl_target`` is set to
            ``teacher``), as in distillation. Defaults to None.
        teacher_checkpoint (str, optional): A checkpoint of the teacher
            classifier alone (e.g. from a solo baseline config).
        **kwargs: Arguments of :class:`TwoBranchClassifier`: ``cnn`` and
            ``trans`` (each a complete classifier config), ``pred_branch``
            (default ``'trans'``), the speed and memory switches
            ``channels_last``, ``grad_checkpoint``, ``compile``,
            ``data_preprocessor``, ``init_cfg``.
    """

    def __init__(self,
                 pair_head: Optional[dict] = None,
                 teacher: Optional[str] = None,
                 teacher_checkpoint: Optional[str] = None,
                 **kwargs) -> None:
        owner = type(self).__name__
        if teacher is not None and teacher not in BRANCHES:
            raise ValueError(f'{owner}: `teacher` must be one of '
                             f'{BRANCHES} or None, got {teacher!r}')
        if teacher is not None and not teacher_checkpoint:
            raise ValueError(
                f'{owner}: teacher={teacher!r} needs '
                '`teacher_checkpoint`, the trained weights of that branch')
        super().__init__(**kwargs)
        fcs = {name: self._branch_fc(name) for name in BRANCHES}
        pair_head = dict(pair_head or {})
        pair_head.setdefault('type', 'PairLearningHead')
        for name in BRANCHES:
            key, size = f'{name}_channels', fcs[name].in_features
            if pair_head.setdefault(key, size) != size:
                raise ValueError(f'{owner}: pair_head.{key}='
                                 f'{pair_head[key]} but '
                                 f'the {name} embedding has {size} channels')
        if teacher is not None:
            # distillation: the frozen teacher's prediction is the target
            if pair_head.setdefault('kl_target', teacher) != teacher:
                raise ValueError(
                    f'{owner}: teacher={teacher!r} but '
                    'pair_head.'
                    f'kl_target={pair_head["kl_target"]!r}; the KL target '
                    'of distillation is the teacher\'s prediction')
        self.feat_layers = self._feat_layers(pair_head)
        if self.feat_layers:
            with self._captured() as feats:
                for name in BRANCHES:
                    self.dry_feat(name)
            pair_head['feat_loss'] = dict(
                pair_head['feat_loss'], **{
                    f'{name}_channels': [f.shape[1] for f in feats[name]]
                    for name in BRANCHES
                })
        self.pair_head = MODELS.build(pair_head)
        self.teacher = teacher
        self.teacher_checkpoint = teacher_checkpoint
        if teacher is not None:
            getattr(self, teacher).requires_grad_(False)

    def _feat_layers(self, pair_head: dict) -> Dict[str, List[nn.Module]]:
        """The modules of ``pair_head.feat_layers``, per branch; empty
        without feature guidance."""
        layers = pair_head.get('feat_layers')
        if pair_head.get('feat_loss') is None or not layers:
            return {}
        owner = type(self).__name__
        if self.compile_options is not None:
            raise ValueError(f'{owner}: feature guidance (pair_head.'
                             'feat_loss) captures layers with forward hooks, '
                             'which `compile` would trace anew each step; '
                             'use one of the two')
        modules = {}
        for name in BRANCHES:
            modules[name] = []
            for path in layers.get(name) or []:
                try:
                    modules[name].append(self.branch(name).get_submodule(path))
                except AttributeError:
                    raise ValueError(
                        f'{owner}: pair_head.feat_layers: branch `{name}` '
                        f'has no module {path!r}') from None
        if not modules['cnn'] or len(modules['cnn']) != len(modules['trans']):
            raise ValueError(
                f'{owner}: pair_head.feat_layers needs one transformer layer '
                f'per CNN layer, got {layers!r}')
        return modules

    @contextmanager
    def _captured(self) -> Iterator[Dict[str, List[torch.Tensor]]]:
        """Collect the outputs of ``feat_layers`` (as maps, see
        :func:`as_feature_map`) of the forwards run inside."""
        feats = {name: [None] * len(m) for name, m in self.feat_layers.items()}
        handles = []
        for name, modules in self.feat_layers.items():
            extra = getattr(self.branch(name).backbone, 'num_extra_tokens', 0)
            for i, module in enumerate(modules):

                def save(_, __, out, name=name, i=i, extra=extra):
                    out = out[0] if isinstance(out, (tuple, list)) else out
                    feats[name][i] = as_feature_map(out, extra)

                handles.append(module.register_forward_hook(save))
        try:
            yield feats
        finally:
            for handle in handles:
                handle.remove()

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
        capture = bool(self.feat_layers) and self.pair_head.use_cl
        with (self._captured() if capture else _nothing()) as feats:
            for name in BRANCHES:
                if name == self.teacher:
                    with torch.no_grad():
                        h[name], z[name] = self.embed(name, inputs)
                    continue
                h[name], z[name] = self.embed(name, inputs)
                losses.update(self.branch_loss(name, z[name], data_samples))
        labels = (
            torch.cat([s.gt_label for s in data_samples]).to(inputs.device)
            if 'gt_label' in data_samples[0] else None)
        losses.update(
            self.pair_head.loss(
                h['cnn'],
                h['trans'],
                z['cnn'],
                z['trans'],
                labels,
                feats=feats))
        return losses


@contextmanager
def _nothing() -> Iterator[None]:
    yield None
