"""One row of the Pair Learning Module's table of terms."""
from typing import Dict, List, Optional, Sequence, Union

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from ..utils.branches import BRANCHES, other
from ..utils.weight_schedules import training_progress

SOURCES = ('partner', 'ema', 'teacher')
GATES = (None, 'target_better', 'target_correct')
STAGES = (None, 'cl', 'kl')
VECTOR_INPUTS = ('embed', 'logits')


class PairTerm(nn.Module):
    r"""A term of the Pair Learning Module: what one branch (the learner)
    learns from the other (the target side), and when.

    One entry of :class:`PairLearningHead`'s ``terms`` table; its name
    makes its logged keys: ``loss_<name>``, and ``<name>_keep`` (the share
    of samples its gate kept) and ``<name>_weight`` (its schedule's factor)
    where it has them.

    The target side's inputs come from the ``source``: ``'partner'`` (the
    live partner branch, in this forward), ``'ema'`` (an exponential moving
    average of the partner, :class:`PartnerEMA`, configured by the head's
    ``ema``) or ``'teacher'`` (the partner branch frozen from the head's
    ``teacher_checkpoint``: distillation, the paper's DIS baseline, Table
    4). They are detached, so that the gradient reaches only the learner
    (the paper's design, Fig. 1), unless ``bidirectional`` (the "Bi"
    ablation of Table 7).

    The loss is called by its ``inputs``:

    - ``'logits'``: ``loss(learner's z, target's z, weight)``, as
      :class:`PairKLDivLoss` (the target side gives :math:`p` of
      :math:`KL(p \| q)`); ``weight`` is the gate's per-sample 0/1 (None
      without a gate);
    - ``'embed'``: ``loss(h_cnn, h_trans, labels)``, as
      :class:`PairContrastiveLoss`, after the ``connector`` (the paper's
      affine layer maps the CNN embedding to the transformer's size when
      they differ; or an MLP per branch);
    - ``dict(cnn=[...], trans=[...])``, named layers of each branch (one
      transformer layer per CNN layer): ``loss(cnn_maps, trans_maps)``, as
      :class:`PairFeatureLoss`, each layer's output as a map (see
      :func:`as_feature_map`); the loss config gets ``cnn_channels`` and
      ``trans_channels`` from one dry forward at build time.

    Args:
        name (str): The term's name in the table.
        learner (str): ``'cnn'`` or ``'trans'``.
        inputs (str | dict): ``'embed'``, ``'logits'`` or the named layers.
        loss (dict): Config of the loss (our registered losses).
        source (str): ``'partner'``, ``'ema'`` or ``'teacher'``. Defaults
            to ``'partner'``.
        bidirectional (bool): Let the gradient reach the target side too
            (only from the live partner). Defaults to False.
        gate (str, optional): ``'target_better'`` (only the samples where
            the target side gives the true class at least the learner's
            probability, both at the loss's temperature) or
            ``'target_correct'`` (where the target side's top-1 is the true
            class); logits terms only; needs the labels. The kept terms'
            sum is still divided by N. Defaults to None (every sample).
        stage (str, optional): The group of eq. 7 it belongs to: ``'cl'``
            (on in the first two stages), ``'kl'`` (the last two), None
            (always). Defaults to None.
        schedule (dict, optional): A weight schedule, e.g.
            ``dict(type='SigmoidRampUpWeight', end=0.3)``. Defaults to None
            (constant).
        connector (dict, optional): ``'embed'`` terms: ``dict(
            out_channels=128, hidden_channels=None)`` for an MLP (Linear,
            ReLU, Linear) per branch, as MCL and CRD use between
            heterogeneous networks. Defaults to None (the affine layer, if
            the sizes differ).
        dist_token (bool): ``'embed'`` and ``'logits'`` terms: the learner
            side is its distillation token's embedding or logits, not its
            class token's (DeiT, Touvron et al. 2021: the class token learns
            from the labels, the distillation token from the teacher); the
            learner's head must have one (:class:`DistTokenClsHead`).
            Defaults to False.
    """

    def __init__(self,
                 name: str,
                 learner: str,
                 inputs: Union[str, Dict[str, Sequence[str]]],
                 loss: dict,
                 source: str = 'partner',
                 bidirectional: bool = False,
                 gate: Optional[str] = None,
                 stage: Optional[str] = None,
                 schedule: Optional[dict] = None,
                 connector: Optional[dict] = None,
                 dist_token: bool = False) -> None:
        super().__init__()
        owner = f'PairLearningHead: term `{name}`'
        if not name.isidentifier() or 'loss' in name:
            raise ValueError(f'{owner}: a term name must be an identifier '
                             "without 'loss' (it names the logged keys)")
        for key, value, allowed in (('learner', learner,
                                     BRANCHES), ('source', source, SOURCES),
                                    ('gate', gate, GATES), ('stage', stage,
                                                            STAGES)):
            if value not in allowed:
                raise ValueError(f'{owner}: `{key}` must be one of '
                                 f'{allowed}, got {value!r}')
        if isinstance(inputs, str):
            if inputs not in VECTOR_INPUTS:
                raise ValueError(
                    f'{owner}: `inputs` must be one of {VECTOR_INPUTS} or '
                    f'dict(cnn=[layers], trans=[layers]), got {inputs!r}')
            self.layers = None
        else:
            inputs = dict(inputs)
            self.layers = {
                b: list(inputs.pop(b, None) or [])
                for b in BRANCHES
            }
            if inputs or not self.layers['cnn'] or len(
                    self.layers['cnn']) != len(self.layers['trans']):
                raise ValueError(
                    f'{owner}: layer inputs are dict(cnn=[...], trans=[...]),'
                    ' one transformer layer per CNN layer')
            inputs = 'layers'
        if gate is not None and inputs != 'logits':
            raise ValueError(f'{owner}: a gate compares predictions: it '
                             "needs inputs='logits'")
        if connector is not None and inputs != 'embed':
            raise ValueError(f'{owner}: a connector maps embeddings: it '
                             "needs inputs='embed'")
        if dist_token and inputs not in VECTOR_INPUTS:
            raise ValueError(f'{owner}: a distillation token gives an '
                             f'embedding and logits: it needs `inputs` one '
                             f'of {VECTOR_INPUTS}')
        if bidirectional and source != 'partner':
            raise ValueError(f'{owner}: only a live partner can learn back '
                             f'(bidirectional), not a source {source!r}')
        self.name, self.learner, self.target = name, learner, other(learner)
        self.inputs, self.source, self.gate = inputs, source, gate
        self.bidirectional, self.stage = bidirectional, stage
        self.dist_token = dist_token
        self.schedule = None if schedule is None else MODELS.build(schedule)
        self.connector = None if connector is None else dict(connector)
        self.loss_cfg = dict(loss)
        # built in PairLearningHead.prepare, once the branches are known
        self.loss: Optional[nn.Module] = None
        self.proj: Optional[nn.Module] = None
        if self.layers is None:
            self.loss = MODELS.build(self.loss_cfg)

    def output_key(self, branch: str) -> str:
        """The key of a vector term's input in branch ``branch``'s outputs
        (:meth:`PairLearningHead.loss`): ``'dist_'`` + :attr:`inputs` on the
        learner side of a ``dist_token`` term, else :attr:`inputs`."""
        if self.dist_token and branch == self.learner:
            return f'dist_{self.inputs}'
        return self.inputs

    def log_keys(self) -> List[str]:
        """The keys this term's :meth:`forward` returns."""
        return [f'loss_{self.name}'] + [
            f'{self.name}_{key}'
            for key, on in (('keep', self.gate),
                            ('weight', self.schedule)) if on is not None
        ]

    def build_layer_loss(self, channels: Dict[str, List[int]]) -> None:
        """Build a layer term's loss for the layers' channels."""
        self.loss = MODELS.build(
            dict(
                self.loss_cfg,
                cnn_channels=channels['cnn'],
                trans_channels=channels['trans']))

    def build_connector(self, sizes: Dict[str, int]) -> None:
        """Build an ``'embed'`` term's connector for the embedding sizes:
        an MLP per branch, or the affine layer when the sizes differ."""
        if self.inputs != 'embed':
            return
        if self.connector is not None:
            cfg = dict(self.connector)
            out = cfg.pop('out_channels', 128)
            hidden = cfg.pop('hidden_channels', None)
            if cfg:
                raise ValueError(
                    f'PairLearningHead: term `{self.name}`: unknown '
                    f'`connector` keys {sorted(cfg)}; use out_channels, '
                    'hidden_channels')
            self.proj = nn.ModuleDict({
                side:
                nn.Sequential(
                    nn.Linear(size, hidden or size), nn.ReLU(inplace=True),
                    nn.Linear(hidden or size, out))
                for side, size in sizes.items()
            })
        elif sizes['cnn'] != sizes['trans']:
            self.proj = nn.Linear(sizes['cnn'], sizes['trans'])

    def connect(self, h_cnn: torch.Tensor,
                h_trans: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The embeddings as the loss compares them: each through its MLP,
        or the CNN's through the affine layer, or as they are."""
        if isinstance(self.proj, nn.ModuleDict):
            return dict(
                cnn=self.proj['cnn'](h_cnn), trans=self.proj['trans'](h_trans))
        if self.proj is not None:
            h_cnn = self.proj(h_cnn)
        return dict(cnn=h_cnn, trans=h_trans)

    def forward(self, sides: Dict[str, torch.Tensor],
                labels: Optional[torch.Tensor]) -> Dict[str, torch.Tensor]:
        """The term on one batch.

        Args:
            sides (dict[str, Tensor | list[Tensor]]): This term's inputs of
                each branch (the learner's live; the target side's from the
                source).
            labels (Tensor, optional): Class indices (N, ).

        Returns:
            dict[str, Tensor]: See :meth:`log_keys`.
        """
        x = dict(sides)
        if not self.bidirectional:
            target = x[self.target]
            x[self.target] = ([t.detach() for t in target] if isinstance(
                target, list) else target.detach())
        out = {}
        if self.inputs == 'logits':
            student, target = x[self.learner], x[self.target]
            keep = None
            if self.gate is not None:
                keep = self._gate(student, target, labels)
                out[f'{self.name}_keep'] = keep.mean()
            loss = (
                self.loss(student, target) if keep is None else self.loss(
                    student, target, keep))
        elif self.inputs == 'embed':
            h = self.connect(x['cnn'], x['trans'])
            loss = self.loss(h['cnn'], h['trans'], labels)
        else:
            loss = self.loss(x['cnn'], x['trans'])
        if self.schedule is not None:
            weight = self.schedule(training_progress(type(self).__name__))
            loss = loss * weight
            out[f'{self.name}_weight'] = loss.new_tensor(weight)
        return {f'loss_{self.name}': loss, **out}

    def _gate(self, student: torch.Tensor, target: torch.Tensor,
              labels: Optional[torch.Tensor]) -> torch.Tensor:
        """Per-sample weights (0 or 1) of the gate, from the predictions at
        the loss's temperature."""
        if labels is None:
            raise ValueError(f'PairLearningHead: term `{self.name}`: gate '
                             f'{self.gate!r} needs the labels')
        with torch.no_grad():
            if self.gate == 'target_correct':
                keep = target.argmax(1) == labels
            else:
                temperature = getattr(self.loss, 'temperature', 1.0)
                rows = torch.arange(labels.numel(), device=labels.device)
                p_target, p_student = ((z.float() /
                                        temperature).softmax(1)[rows, labels]
                                       for z in (target, student))
                keep = p_target >= p_student
        return keep.float()
