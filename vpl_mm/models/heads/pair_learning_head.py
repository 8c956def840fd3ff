import copy
from contextlib import nullcontext
from typing import Collection, Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS

from ..losses import as_feature_map
from ..utils.branches import BRANCHES, dry_feat, has_dist_token, logits_layer
from ..utils.partner_ema import PartnerEMA
from ..utils.recorder import LayerRecorder
from .pair_term import PairTerm

# Old state-dict names of the head's parameters (before the table of terms)
# -> new ones: the paper's affine layer and the MLP were the contrastive
# term's connectors, the feature loss the feature term's.
_RENAMED = (('proj.', 'terms.cl.proj.'), ('cl_proj.', 'terms.cl.proj.'),
            ('feat_loss.', 'terms.feat.loss.'))


@MODELS.register_module()
class PairLearningHead(BaseModule):
    r"""Pair Learning Module (PLM) of VPL (paper Fig. 1), as a table of
    terms.

    Each entry of ``terms`` is a :class:`PairTerm`: its learner branch, its
    source (the live partner, an EMA copy of it, or a frozen teacher), its
    inputs (embeddings, logits or named layers), its loss, an optional gate,
    its eq. 7 stage group and its weight schedule. The head computes the
    active terms (:meth:`loss`), names what they log (:meth:`log_keys`),
    switches them by eq. 7's groups (:meth:`activate`, called by
    :class:`StageSwitchHook`), and owns what they need besides the branches:
    the recorders of named layers, the connectors, the EMA copies. It is
    only used in training: after training each branch works alone.

    The default table is the paper's PLM:

    - ``cl``: the contrastive loss of eq. 3-5 (:class:`PairContrastiveLoss`)
      between the embeddings, through the affine layer when their sizes
      differ; the CNN side detached, so that it teaches the transformer;
      on in eq. 7's first two stages;
    - ``kl``: the KL loss of eq. 6 (:class:`PairKLDivLoss`),
      :math:`KL(p_{trans} \| p_{cnn})`, the transformer's prediction
      detached, so that it teaches the CNN; on in the last two stages.

    A config changes a term by its name, field by field as MMEngine merges
    configs (``terms=dict(cl=dict(loss=dict(temperature=0.2)))``;
    ``_delete_=True`` replaces a term whole), adds one with a new name
    (after the others), or drops one by setting it to None
    (``terms=dict(kl=None)``).

    Args:
        terms (dict, optional): Name -> :class:`PairTerm` arguments, merged
            into :attr:`PAPER_TERMS`. Defaults to None (the paper's
            table).
        ema (dict, optional): Config of the averaged model of terms with
            ``source='ema'`` (:class:`PartnerEMA`), e.g.
            ``dict(type='ExponentialMovingAverage', momentum=0.005)``.
            Defaults to None.
        teacher_checkpoint (str, optional): Trained weights of the branch
            that terms with ``source='teacher'`` read (a checkpoint of that
            classifier alone, e.g. of a solo baseline config):
            :class:`PairClassifier` loads it strictly, keeps the branch in
            eval mode (see ``teacher_mode``), gives it no gradient and no
            loss of its own, and leaves it out of the optimizer.
        teacher_mode (str): ``'eval'`` (BatchNorm's running statistics, as
            distillation uses a trained teacher) or ``'train'`` (the batch's
            statistics, as a live partner's targets are computed; a
            control). Defaults to ``'eval'``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.

    Example:
        >>> # feature guidance from the CNN's stage 2 to the ViT's block 1,
        >>> # from an EMA of the CNN, ramped up over the first 30 %
        >>> head = dict(
        ...     type='PairLearningHead',
        ...     ema=dict(type='ExponentialMovingAverage', momentum=0.005),
        ...     terms=dict(feat=dict(
        ...         learner='trans', source='ema', stage='cl',
        ...         inputs=dict(cnn=['backbone.layer2'],
        ...                     trans=['backbone.layers.1']),
        ...         loss=dict(type='PairFeatureLoss', loss_weight=2.0),
        ...         schedule=dict(type='SigmoidRampUpWeight', end=0.3))))
    """

    PAPER_TERMS = dict(
        cl=dict(
            learner='trans',
            inputs='embed',
            stage='cl',
            loss=dict(type='PairContrastiveLoss', temperature=1.0)),
        kl=dict(
            learner='cnn',
            inputs='logits',
            stage='kl',
            loss=dict(type='PairKLDivLoss', temperature=1.0)))
    TEACHER_MODES = ('eval', 'train')

    def __init__(self,
                 terms: Optional[Dict[str, Optional[dict]]] = None,
                 ema: Optional[dict] = None,
                 teacher_checkpoint: Optional[str] = None,
                 teacher_mode: str = 'eval',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        owner = type(self).__name__
        self.terms = nn.ModuleDict({
            name: PairTerm(name, **cfg)
            for name, cfg in self.table(terms).items()
        })
        if not self.terms:
            raise ValueError(f'{owner}: `terms` holds no term')
        if teacher_mode not in self.TEACHER_MODES:
            raise ValueError(f'{owner}: `teacher_mode` must be one of '
                             f'{self.TEACHER_MODES}, got {teacher_mode!r}')
        self.teacher = self._teacher_branch()
        if (self.teacher is None) != (not teacher_checkpoint):
            raise ValueError(
                f'{owner}: terms with source=\'teacher\' and '
                '`teacher_checkpoint` (the trained weights of that branch) '
                'go together')
        self.teacher_checkpoint = teacher_checkpoint
        self.teacher_mode = teacher_mode
        self.ema_cfg = ema
        if any(t.source == 'ema' for t in self.terms.values()) != bool(ema):
            raise ValueError(f'{owner}: terms with source=\'ema\' and `ema` '
                             '(the averaged model\'s config) go together')
        self.ema = nn.ModuleDict()
        self.groups = {'cl', 'kl'}
        # set by prepare()
        self.fc: Dict[str, str] = {}
        self.recorders: Dict[str, LayerRecorder] = {}
        self.extra_tokens: Dict[str, int] = {}
        self.dist_branches: List[str] = []

    @classmethod
    def table(cls, terms: Optional[dict] = None) -> Dict[str, dict]:
        """The table of terms that ``terms`` make: merged into
        :attr:`PAPER_TERMS` (see above), the terms set to None left out.

        Example:
            >>> table = PairLearningHead.table(dict(kl=None))
            >>> list(table), table['cl']['learner']
            (['cl'], 'trans')
        """
        table = Config(dict(terms=copy.deepcopy(cls.PAPER_TERMS)))
        if terms:
            table.merge_from_dict(dict(terms=copy.deepcopy(terms)))
        return {
            name: cfg
            for name, cfg in table.to_dict()['terms'].items()
            if cfg is not None
        }

    def _teacher_branch(self) -> Optional[str]:
        """The branch the ``'teacher'`` terms read: the one no term
        teaches and every term that reads it reads frozen."""
        frozen = {
            t.target
            for t in self.terms.values() if t.source == 'teacher'
        }
        if not frozen:
            return None
        if len(frozen) > 1:
            raise ValueError('PairLearningHead: one branch can be the '
                             'teacher, but terms read both as teacher')
        teacher = frozen.pop()
        for term in self.terms.values():
            if term.learner == teacher or (term.target == teacher
                                           and term.source != 'teacher'):
                raise ValueError(
                    f'PairLearningHead: term `{term.name}` '
                    f'{"teaches" if term.learner == teacher else "reads"} '
                    f'the `{teacher}` branch, which other terms read as a '
                    "frozen teacher (source='teacher')")
        return teacher

    def prepare(self,
                branches: Dict[str, nn.Module],
                compiled: bool = False) -> None:
        """Fit the table to the branches; :class:`PairClassifier` calls it
        once, right after building them.

        Finds each branch's logits layer and embedding size, checks the
        named layers and reads their channels (one dry forward per branch,
        eval mode, no gradient), then builds, in this order (which fixes
        their initial weights under a seed): the layer terms' losses, the
        connectors, the EMA copies.

        Args:
            branches (dict[str, nn.Module]): ``cnn`` and ``trans``, the stock
                classifiers.
            compiled (bool): Whether the branches' features go through
                ``torch.compile``, which cannot be combined with recording
                layers.
        """
        owner = type(self).__name__
        self.fc = {b: logits_layer(owner, b, branches[b]) for b in BRANCHES}
        self._check_dist_tokens(branches)
        sizes = {
            b: branches[b].get_submodule(self.fc[b]).in_features
            for b in BRANCHES
        }
        layer_terms = [t for t in self.terms.values() if t.layers]
        if layer_terms and compiled:
            raise ValueError(
                f'{owner}: terms {[t.name for t in layer_terms]} record '
                'layers with forward hooks, which `compile` would trace anew '
                'each step; use one of the two')
        channels = {}
        for b in BRANCHES:
            paths = list(
                dict.fromkeys(p for t in layer_terms for p in t.layers[b]))
            if not paths:
                continue
            recorder = LayerRecorder(paths)
            recorder.modules(branches[b], owner, f'branch `{b}`')
            self.recorders[b] = recorder
            self.extra_tokens[b] = getattr(branches[b].backbone,
                                           'num_extra_tokens', 0)
            with recorder.record(branches[b]) as outputs:
                dry_feat(branches[b])
            channels[b] = {
                p: self._as_map(b, out).shape[1]
                for p, out in zip(paths, outputs)
            }
        for term in layer_terms:
            term.build_layer_loss({
                b: [channels[b][p] for p in term.layers[b]]
                for b in BRANCHES
            })
        for term in self.terms.values():
            term.build_connector(sizes)
        for b in sorted(
            {t.target
             for t in self.terms.values() if t.source == 'ema'}):
            self.ema[b] = PartnerEMA(branches[b], self.ema_cfg)

    def _check_dist_tokens(self, branches: Dict[str, nn.Module]) -> None:
        """Set :attr:`dist_branches`, the branches whose distillation token
        terms teach (``dist_token=True``); refuse such a term on a head
        without the token, and a learning branch's token that no term
        teaches (inference would average in its untrained layer)."""
        owner = type(self).__name__
        self.dist_branches = sorted(
            {t.learner
             for t in self.terms.values() if t.dist_token})
        for b in BRANCHES:
            head = branches[b].head
            has_token = has_dist_token(head)
            if b in self.dist_branches and not has_token:
                raise ValueError(
                    f'{owner}: terms with dist_token=True teach branch '
                    f'`{b}`, whose head ({type(head).__name__}) has no '
                    'distillation token: use DistTokenClsHead with '
                    'DistilledVisionTransformer')
            if has_token and b not in self.dist_branches and \
                    b != self.teacher:
                raise ValueError(
                    f'{owner}: the head of branch `{b}` has a distillation '
                    'token, but no term teaches it (dist_token=True): its '
                    'layer would stay untrained, and inference averages it '
                    'in')

    def _as_map(self, branch: str, output: torch.Tensor) -> torch.Tensor:
        return as_feature_map(output, self.extra_tokens[branch])

    def active(self) -> List[PairTerm]:
        """The terms eq. 7's current stage switches on."""
        return [
            t for t in self.terms.values()
            if t.stage is None or t.stage in self.groups
        ]

    def activate(self, groups: Collection[str]) -> bool:
        """Switch on the terms of eq. 7's groups ``groups`` (``'cl'``,
        ``'kl'``) and the ungrouped ones, off the others.

        Returns:
            bool: Whether anything changed.
        """
        groups = set(groups)
        changed = groups != self.groups
        self.groups = groups
        return changed

    def log_keys(self, active: bool = True) -> List[str]:
        """The keys :meth:`loss` returns now (``active``), or those of the
        terms that are now off (``active=False``)."""
        on = self.active()
        return [
            key for t in self.terms.values() if (t in on) == active
            for key in t.log_keys()
        ]

    def min_batch(self) -> Tuple[int, Optional[str]]:
        """The fewest images per batch every term can take (a loss's
        ``min_batch``, e.g. 2 for eq. 3-5's contrastive term), with the
        term that needs it; ``(1, None)`` if none does."""
        least, term = max(((getattr(t.loss, 'min_batch', 1), t.name)
                           for t in self.terms.values()),
                          key=lambda x: x[0])
        return (least, term) if least > 1 else (1, None)

    def recording(self, branch: str, module: nn.Module):
        """A context that records, during the forwards of ``module`` (live
        branch ``branch``) inside, the layers the active terms read; yields
        their outputs (None when no active term reads layers)."""
        recorder = self.recorders.get(branch)
        if recorder is None or not any(t.layers for t in self.active()):
            return nullcontext()
        return recorder.record(module)

    def loss(
        self,
        outputs: Dict[str, dict],
        labels: Optional[torch.Tensor] = None,
        inputs: Optional[Dict[str, torch.Tensor]] = None,
        branches: Optional[Dict[str, nn.Module]] = None
    ) -> Dict[str, torch.Tensor]:
        """Compute the active terms.

        Args:
            outputs (dict[str, dict]): Per branch, ``embed`` (N, d),
                ``logits`` (N, C) and ``layers`` (what :meth:`recording`
                yielded) of this forward; for the :attr:`dist_branches`
                also ``dist_embed`` and ``dist_logits``, their distillation
                token's (:class:`DistTokenClsHead`).
            labels (Tensor, optional): Class indices (N, ), for the gates
                and the contrastive loss's ``exclude_same_class``.
            inputs (dict[str, Tensor], optional): Per branch, the images as
                it reads them; needed with EMA sources, which run on them.
            branches (dict[str, nn.Module], optional): The live branches;
                needed with EMA sources, which follow them.

        Returns:
            dict[str, Tensor]: Each active term's keys (:meth:`log_keys`).
        """
        active = self.active()
        sources = dict(partner=outputs, teacher=outputs)
        if len(self.ema):
            if self.training:
                for b, average in self.ema.items():
                    average.update(branches[b])
            if any(t.source == 'ema' for t in active):
                sources['ema'] = {
                    b: average(inputs[b], self.fc[b], self.recorders.get(b))
                    for b, average in self.ema.items()
                }
        losses = dict()
        for term in active:
            sides = {
                term.learner: outputs[term.learner],
                term.target: sources[term.source][term.target]
            }
            if term.layers:
                sides = {
                    b: [
                        self._as_map(
                            b,
                            side['layers'][self.recorders[b].paths.index(p)])
                        for p in term.layers[b]
                    ]
                    for b, side in sides.items()
                }
            else:
                sides = {
                    b: side[term.output_key(b)]
                    for b, side in sides.items()
                }
            losses.update(term(sides, labels))
        self._keep_in_graph(losses, active, outputs)
        return losses

    def _keep_in_graph(self, losses: Dict[str, torch.Tensor],
                       active: List[PairTerm], outputs: Dict[str,
                                                             dict]) -> None:
        """Add a zero term of the parameters of the terms that are off, and
        of the distillation tokens' logits that no active term reads, so
        that DDP (``find_unused_parameters=False``) finds every parameter in
        the graph (e.g. the projection in eq. 7's last stage)."""
        idle = [
            p.sum() for t in self.terms.values() if t not in active
            for p in t.parameters() if p.requires_grad
        ]
        read = {
            t.learner
            for t in active if t.dist_token and t.inputs == 'logits'
        }
        idle += [
            outputs[b]['dist_logits'].sum() for b in self.dist_branches
            if b not in read
        ]
        if idle and losses:
            key = next(k for k in losses if k.startswith('loss_'))
            losses[key] = losses[key] + sum(idle) * 0.

    @staticmethod
    def upgrade_keys(state_dict: dict, prefix: str = '') -> None:
        """Rename, in place, the keys of a head saved before the table of
        terms (``proj``, ``cl_proj``, ``feat_loss``) to today's."""
        for key in list(state_dict):
            if not key.startswith(prefix):
                continue
            for old, new in _RENAMED:
                if key.startswith(prefix + old):
                    state_dict[prefix + new +
                               key[len(prefix + old):]] = state_dict.pop(key)
                    break

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        # checkpoints written before the table of terms load as they are
        self.upgrade_keys(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
