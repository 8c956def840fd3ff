"""DeiT's classification head, trainable with its distillation token."""
from collections import OrderedDict
from typing import List, Tuple

import torch
import torch.nn as nn
from mmpretrain.models.heads import DeiTClsHead
from mmpretrain.registry import MODELS


@MODELS.register_module()
class DistTokenClsHead(DeiTClsHead):
    """The head of a transformer with a distillation token, trainable in a
    pair (DeiT: Touvron et al., "Training data-efficient image transformers
    & distillation through attention", ICML 2021, Sec. 4).

    DeiT gives the transformer a second extra token, the distillation token,
    with its own linear layer: the class token's layer learns from the
    labels, the distillation token's from the teacher; at inference the two
    layers' logits are averaged. MMPretrain 1.2's :class:`DeiTClsHead` has
    both layers but only infers (its forward averages them and warns that it
    cannot train). This head has the same layers, so a trained branch loads
    into the stock head (``vpl_mm.export`` writes it as ``DeiTClsHead``):

    - :meth:`pre_logits`: the class token, the branch's embedding; the pair
      computes its cross-entropy (eq. 2) through ``layers.head``;
    - :meth:`dist_embed_and_logits`: the distillation token and its logits,
      which the PLM's terms with ``dist_token=True`` teach
      (:class:`PairTerm`);
    - :meth:`forward` (and so ``predict``): the average of both logits, as
      DeiT and :class:`DeiTClsHead` infer.

    On the target side of a term (a term that teaches the other branch) the
    branch gives its class token's embedding and logits.

    Use it with ``DistilledVisionTransformer`` (``out_type='cls_token'``),
    whose features are the two tokens. Trained alone by ``ImageClassifier``
    its loss is :class:`DeiTClsHead`'s, the cross-entropy of the average.
    Arguments: those of :class:`DeiTClsHead`.

    Example:
        >>> import torch
        >>> head = DistTokenClsHead(num_classes=10, in_channels=8)
        >>> cls_token, dist_token = torch.randn(2, 8), torch.randn(2, 8)
        >>> h, z = head.dist_embed_and_logits([(cls_token, dist_token)])
        >>> torch.equal(h, dist_token), tuple(z.shape)
        (True, (2, 10))
    """

    def _init_layers(self) -> None:
        super()._init_layers()
        # the distillation token's layer first: the class token's layer
        # stays the head's last linear layer, the one the pair reads as the
        # branch's logits layer (vpl_mm.models.utils.logits_layer); the
        # parameters' names are DeiTClsHead's
        layers = OrderedDict(self.layers.named_children())
        layers.move_to_end('head_dist', last=False)
        self.layers = nn.Sequential(layers)

    def _tokens(self, feats) -> Tuple[torch.Tensor, torch.Tensor]:
        return super().pre_logits(feats)

    def pre_logits(self, feats: Tuple[List[torch.Tensor]]) -> torch.Tensor:
        """The class token (after the hidden layer, if any)."""
        return self._tokens(feats)[0]

    def dist_embed_and_logits(
            self, feats: Tuple[List[torch.Tensor]]
    ) -> Tuple[torch.Tensor, torch.Tensor]:
        """The distillation token (after the hidden layer, if any) and its
        logits (``layers.head_dist``)."""
        dist_token = self._tokens(feats)[1]
        return dist_token, self.layers.head_dist(dist_token)

    def forward(self, feats: Tuple[List[torch.Tensor]]) -> torch.Tensor:
        """The mean of the class and distillation tokens' logits."""
        cls_token, dist_token = self._tokens(feats)
        return (self.layers.head(cls_token) +
                self.layers.head_dist(dist_token)) / 2
