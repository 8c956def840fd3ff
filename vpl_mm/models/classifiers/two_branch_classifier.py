import logging
from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from vpl_mm.utils.messages import iteration_text
from vpl_mm.utils.model import bare_model
from ..utils.branches import BRANCHES, dry_feat, embed_and_logits, logits_layer
from ..utils.speed import checkpoint_children, extract_feat, in_memory_format


class TwoBranchClassifier(BaseModel):
    """Two stock classifiers, a CNN and a transformer, read the same images.

    The common part of :class:`PairClassifier` (VPL) and
    :class:`DMLClassifier` (the DML baseline): both branches are complete
    stock classifiers, built unchanged and kept as ``self.cnn`` and
    ``self.trans``, so that each can be used, or exported, alone; one shared
    data preprocessor; tensor and predict modes for both branches. Subclasses
    define the training loss.

    A NaN or infinite loss term is named with the iteration in a warning
    (see :meth:`parse_losses`); whether it stops training or the update is
    skipped is the optim wrapper's decision (:class:`NonFiniteOptimWrapper`,
    our configs' default).

    Args:
        cnn (dict): Config of the CNN branch, e.g. ``dict(type=
            'ImageClassifier', backbone=..., neck=..., head=...)``.
        trans (dict): Config of the transformer branch.
        pred_branch (str): Which branch gives the top-level ``pred_score``
            and ``pred_label`` in predict mode. Defaults to ``'trans'``.
        channels_last (Sequence[str]): Branches whose weights and inputs
            use ``torch.channels_last`` (faster convolutions on recent GPUs
            and oneDNN), e.g. ``['cnn']``. Defaults to none.
        grad_checkpoint (dict, optional): Activation checkpointing for
            backbones without a ``with_cp`` option (MMPretrain's
            ``VisionTransformer``): ``{branch: [container, ...]}``, e.g.
            ``dict(trans=['backbone.layers'])``; each child of each container
            recomputes its activations in the backward pass instead of
            storing them (less memory, about one more forward of time),
            through torch's ``checkpoint_wrapper``: state-dict keys do not
            change (checkpoints and exported branches are as without it);
            ``named_parameters`` gain ``_checkpoint_wrapped_module.``. For
            ResNet and the like, use the backbone's own ``with_cp=True``.
        compile (bool | dict): ``torch.compile`` each branch's feature
            extractor (backbone and neck) with these options (``True``: the
            defaults), on its first call. MMEngine's own ``compile=True``
            compiles the whole ``train_step`` with the optimizer, which
            torch 2.14's dynamo cannot trace. Defaults to False.
        data_preprocessor (dict, optional): Shared preprocessor. Defaults to
            ``dict(type='ClsDataPreprocessor')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 cnn: Optional[dict] = None,
                 trans: Optional[dict] = None,
                 pred_branch: str = 'trans',
                 channels_last: Sequence[str] = (),
                 grad_checkpoint: Optional[Dict[str, Sequence[str]]] = None,
                 compile: Union[bool, dict] = False,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        owner = type(self).__name__
        for name, cfg in zip(BRANCHES, (cnn, trans)):
            if cfg is None:
                raise ValueError(
                    f'{owner}: `{name}` is missing; give a complete '
                    "classifier config, e.g. dict(type='ImageClassifier', "
                    'backbone=..., neck=..., head=...)')
        if pred_branch not in BRANCHES:
            raise ValueError(f'{owner}: `pred_branch` must be one of '
                             f'{BRANCHES}, got {pred_branch!r}')
        grad_checkpoint = dict(grad_checkpoint or {})
        for key, names in (('channels_last', channels_last),
                           ('grad_checkpoint', grad_checkpoint)):
            unknown = set(names) - set(BRANCHES)
            if unknown:
                raise ValueError(f'{owner}: `{key}` names unknown branches '
                                 f'{sorted(unknown)}; use {BRANCHES}')
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
        self.channels_last = tuple(channels_last)
        self.compile_options = (
            dict() if compile is True else dict(compile) if compile else None)
        for name in self.channels_last:
            getattr(self, name).to(memory_format=torch.channels_last)
        for name, containers in grad_checkpoint.items():
            checkpoint_children(owner, name, getattr(self, name), containers)
        self._logits_layers = {
            name: logits_layer(owner, name, getattr(self, name))
            for name in BRANCHES
        }
        for name in BRANCHES:
            self._check_head_input(name)
        fcs = {name: self._branch_fc(name) for name in BRANCHES}
        if fcs['cnn'].out_features != fcs['trans'].out_features:
            raise ValueError(
                f'{owner}: the branches predict different numbers of '
                f"classes (cnn {fcs['cnn'].out_features}, trans "
                f"{fcs['trans'].out_features})")

    def _check_head_input(self, name: str) -> None:
        """Refuse a head whose ``in_channels`` is not the size of what its
        backbone (+ neck) gives, by one dry forward of one small image (eval
        mode, no gradient) — or torch's matmul error at the first iteration
        would be the first sign."""
        branch = getattr(self, name)
        size = getattr(branch.head, 'in_channels', None)
        if size is None:
            return
        try:
            feats = dry_feat(branch)
        except (RuntimeError, AssertionError, TypeError, ValueError) as e:
            # a backbone that needs other inputs than a blank square image
            print_log(
                f'{type(self).__name__}: {name}.head.in_channels not checked '
                f'at build time (a blank image did not pass: {e})',
                logger='current',
                level=logging.DEBUG)
            return
        feat = feats[-1] if isinstance(feats, (tuple, list)) else feats
        if torch.is_tensor(feat) and feat.dim() == 2 and \
                feat.shape[1] != size:
            raise ValueError(
                f'{type(self).__name__}: {name}.head.in_channels={size}, but '
                f'the {name} backbone' +
                (' + neck' if branch.with_neck else '') +
                f' gives {feat.shape[1]} channels: set '
                f'{name}.head.in_channels={feat.shape[1]}')

    def branch_inputs(self, name: str, inputs: torch.Tensor) -> torch.Tensor:
        """``inputs`` in the memory format branch ``name`` expects."""
        return in_memory_format(inputs, name in self.channels_last)

    def extract_feat(self,
                     inputs: torch.Tensor,
                     stage: str = 'neck',
                     branch: Optional[str] = None):
        """Features of one branch, as ``ImageClassifier.extract_feat``.

        The signature MMPretrain's tools and APIs call (``get_flops.py``,
        ``mmpretrain.apis.FeatureExtractor``): the branch is ``branch``, by
        default ``pred_branch`` (``--cfg-options model.pred_branch=cnn``
        chooses the CNN).

        Args:
            inputs (Tensor): Preprocessed images, (N, C, H, W).
            stage (str): ``'backbone'``, ``'neck'`` or ``'pre_logits'``, as
                ``ImageClassifier.extract_feat``. Defaults to ``'neck'``.
            branch (str, optional): ``'cnn'`` or ``'trans'``. Defaults to
                ``pred_branch``.
        """
        name = branch or self.pred_branch
        if name not in BRANCHES:
            raise ValueError(f'{type(self).__name__}: `branch` must be one '
                             f'of {BRANCHES}, got {name!r}')
        if stage == 'neck':
            return self.branch_feat(name, inputs)
        return self.branch(name).extract_feat(
            self.branch_inputs(name, inputs), stage=stage)

    def branch_feat(self, name: str, inputs: torch.Tensor):
        """Branch ``name``'s features (its ``extract_feat``, compiled with
        ``compile``) of ``inputs``, in the branch's memory format."""
        return extract_feat(
            self.branch(name), self.branch_inputs(name, inputs),
            self.compile_options)

    def branch(self, name: str) -> nn.Module:
        """The stock classifier of branch ``name``, unwrapped from the DDP
        wrapper that ``MMSeparateDistributedDataParallel`` puts around it."""
        return bare_model(getattr(self, name))

    def _branch_fc(self, name: str) -> nn.Linear:
        return self.branch(name).get_submodule(self._logits_layers[name])

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
        return embed_and_logits(
            self.branch(name), self.branch_feat(name, inputs),
            self._logits_layers[name])

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
            # as ImageClassifier's tensor mode: the head's forward (e.g.
            # DistTokenClsHead averages its two tokens' logits)
            return {
                name: self.branch(name).head(self.branch_feat(name, inputs))
                for name in BRANCHES
            }
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        raise RuntimeError(f'Invalid mode "{mode}".')

    def loss(self, inputs: torch.Tensor,
             data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """The training losses of one batch; defined by subclasses."""
        raise NotImplementedError

    def parse_losses(self, losses: Dict[str, torch.Tensor]):
        """MMEngine's ``parse_losses``, naming the non-finite terms.

        A NaN or infinite term would otherwise reach the optim wrapper only
        as a non-finite sum. Used on one device and under DDP alike. The
        wrapper decides what happens to the update
        (:class:`NonFiniteOptimWrapper`: stop or skip).
        """
        terms = {k: v for k, v in losses.items() if 'loss' in k}
        if terms and not torch.isfinite(
                torch.stack([v.detach().float().sum()
                             for v in terms.values()])).all():
            bad = [k for k, v in terms.items() if not torch.isfinite(v).all()]
            values = ', '.join(f'{k}={terms[k].sum().item()}' for k in bad)
            print_log(
                f'{type(self).__name__}: non-finite {", ".join(bad)}'
                f'{iteration_text()} ({values}). Lower the learning rate or '
                'the loss weights, or check the data.',
                logger='current',
                level=logging.WARNING)
        return super().parse_losses(losses)

    def branch_loss(self, name: str, logits: torch.Tensor,
                    data_samples: List[DataSample]) -> Dict[str, torch.Tensor]:
        """A branch's own head loss (eq. 1, 2) from logits already computed.

        ``ClsHead.loss`` would run the head forward a second time; its
        ``_get_loss`` takes the logits (same loss config, same label
        handling).

        Returns:
            dict[str, Tensor]: The head's outputs with the branch name as
            suffix: ``loss_cnn`` (and e.g. ``accuracy_top-1_cnn``).
        """
        # mmpretrain/models/heads/cls_head.py ClsHead._get_loss (private;
        # canary: tests/test_upstream_contract.py)
        head_losses = self.branch(name).head._get_loss(logits, data_samples)
        return {f'{key}_{name}': value for key, value in head_losses.items()}

    def predict(
            self,
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
            branch = self.branch(name)
            preds[name] = branch.head.predict(
                self.branch_feat(name, inputs),
                [sample.clone() for sample in data_samples])
        for name in BRANCHES:
            for sample, pred in zip(data_samples, preds[name]):
                sample.set_field(pred, name)
        for sample in data_samples:
            chosen = sample.get(self.pred_branch)
            sample.set_pred_score(chosen.pred_score).set_pred_label(
                chosen.pred_label)
        return data_samples
