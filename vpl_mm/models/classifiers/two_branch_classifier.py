from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModel, is_model_wrapper
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


class TwoBranchClassifier(BaseModel):
    """Two stock classifiers, a CNN and a transformer, read the same images.

    The common part of :class:`PairClassifier` (VPL) and
    :class:`DMLClassifier` (the DML baseline): both branches are complete
    stock classifiers, built unchanged and kept as ``self.cnn`` and
    ``self.trans``, so that each can be used, or exported, alone; one shared
    data preprocessor; tensor and predict modes for both branches. Subclasses
    define the training loss.

    Args:
        cnn (dict): Config of the CNN branch, e.g. ``dict(type=
            'ImageClassifier', backbone=..., neck=..., head=...)``.
        trans (dict): Config of the transformer branch.
        pred_branch (str): Which branch gives the top-level ``pred_score``
            and ``pred_label`` in predict mode. Defaults to ``'trans'``.
        data_preprocessor (dict, optional): Shared preprocessor. Defaults to
            ``dict(type='ClsDataPreprocessor')``.
        init_cfg (dict, optional): Initialisation config. Defaults to None.
    """

    def __init__(self,
                 cnn: Optional[dict] = None,
                 trans: Optional[dict] = None,
                 pred_branch: str = 'trans',
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
                f'{owner}: the branches predict different numbers of '
                f"classes (cnn {fcs['cnn'].out_features}, trans "
                f"{fcs['trans'].out_features})")

    def branch(self, name: str) -> nn.Module:
        """The stock classifier of branch ``name``, unwrapped from the DDP
        wrapper that ``MMSeparateDistributedDataParallel`` puts around it."""
        module = getattr(self, name)
        return module.module if is_model_wrapper(module) else module

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
        branch = self.branch(name)
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
        """The training losses of one batch; defined by subclasses."""
        raise NotImplementedError

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
        head_losses = self.branch(name).head._get_loss(logits, data_samples)
        return {f'{key}_{name}': value for key, value in head_losses.items()}

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
            branch = self.branch(name)
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
