"""The two branches of every pair model, and what the pair reads of each.

A branch is a stock MMPretrain classifier (``ImageClassifier``); the pair
reads its embedding ``h`` (the input of the head's last linear layer, the
head's ``pre_logits``) and its logits ``z`` (that layer's output), paper
"Two Branches".
"""
from typing import Optional, Tuple

import torch
import torch.nn as nn

# The branch names the configs give them (``cnn=``, ``trans=``), the PLM's
# sides and the metric prefixes use.
BRANCHES = ('cnn', 'trans')


def other(name: str) -> str:
    """The partner of branch ``name``."""
    return BRANCHES[1 - BRANCHES.index(name)]


def logits_layer(owner: str, name: str, classifier: nn.Module) -> str:
    """Find the last linear layer of a classifier's head.

    Args:
        owner (str): Who asks, for error messages.
        name (str): The branch name, for error messages.
        classifier (nn.Module): A stock classifier (``ImageClassifier``).

    Returns:
        str: The layer's name within ``classifier``.
    """
    head = getattr(classifier, 'head', None)
    if head is None or not hasattr(head, 'pre_logits') or not hasattr(
            classifier, 'extract_feat'):
        raise TypeError(f'{owner}: branch `{name}` must be a classifier with '
                        '`extract_feat` and a head with `pre_logits` (e.g. '
                        f'ImageClassifier), got {type(classifier).__name__}')
    linears = [(n, m) for n, m in head.named_modules()
               if isinstance(m, nn.Linear)]
    num_classes = getattr(head, 'num_classes', None)
    if not linears or linears[-1][1].out_features != num_classes:
        raise TypeError(
            f'{owner}: the head of branch `{name}` '
            f'({type(head).__name__}) must end in a linear layer with '
            '`num_classes` outputs, whose input is the embedding.')
    return f'head.{linears[-1][0]}'


def embed_and_logits(classifier: nn.Module, feats,
                     fc: str) -> Tuple[torch.Tensor, torch.Tensor]:
    """``h`` and ``z`` of a classifier from its features (``extract_feat``'s
    output); ``fc`` is its :func:`logits_layer`."""
    h = classifier.head.pre_logits(feats)
    return h, classifier.get_submodule(fc)(h)


def has_dist_token(head: nn.Module) -> bool:
    """Whether a branch's head has a distillation token (DeiT, Touvron et
    al. 2021) with its own layer: :class:`DistTokenClsHead`'s
    ``dist_embed_and_logits``."""
    return hasattr(head, 'dist_embed_and_logits')


def dry_input(classifier: nn.Module) -> Optional[torch.Tensor]:
    """One blank image of the size the classifier's backbone was built for
    (ViT, Swin; else 32 px) with its input channels, for dry forwards at
    build time; None when the backbone has no convolution to tell them."""
    backbone = classifier.backbone
    conv = next((m for m in backbone.modules() if isinstance(m, nn.Conv2d)),
                None)
    if conv is None:
        return None
    patch_embed = getattr(backbone, 'patch_embed', None)
    side = (
        getattr(backbone, 'img_size', None)
        or getattr(patch_embed, 'init_input_size', None) or 32)
    side = side[0] if isinstance(side, (tuple, list)) else side
    return torch.zeros(1, conv.in_channels, side, side)


def dry_feat(classifier: nn.Module):
    """The classifier's ``extract_feat`` of :func:`dry_input` (eval mode, no
    gradient, the mode restored); None without a dry input."""
    inputs = dry_input(classifier)
    if inputs is None:
        return None
    was_training = classifier.training
    classifier.eval()
    try:
        with torch.no_grad():
            return classifier.extract_feat(inputs)
    finally:
        classifier.train(was_training)
