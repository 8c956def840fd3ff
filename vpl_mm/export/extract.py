"""Export one branch of a trained pair as a stock MMPretrain classifier.

After training the PLM and the other branch are dropped (the paper: no extra
cost at inference). What is written needs nothing from vpl_mm: a config of a
stock ``ImageClassifier`` and a checkpoint of plain tensors that
``torch.load(..., weights_only=True)`` reads.
"""
import copy
import os
import os.path as osp
from collections import OrderedDict
from typing import Dict, Tuple

import torch
from mmengine.config import Config, ConfigDict

from vpl_mm.models.utils import BRANCHES
from vpl_mm.utils.atomic import atomic_write
from vpl_mm.utils.checkpoint import check_fits, read_checkpoint

DATALOADERS = ('val_dataloader', 'test_dataloader')
EVALUATORS = ('val_evaluator', 'test_evaluator')


class ExtractError(ValueError):
    """The config or checkpoint cannot give the asked branch."""


def _vit_head_to_linear(head: ConfigDict,
                        state: Dict[str, torch.Tensor]) -> ConfigDict:
    """``VisionTransformerClsHead`` without ``hidden_dim`` is one linear
    layer on the class token: the same as ``LinearClsHead``, which MMDeploy's
    SDK knows how to post-process."""
    linear = ConfigDict(
        type='LinearClsHead',
        num_classes=head.num_classes,
        in_channels=head.in_channels)
    for key in ('loss', 'topk', 'cal_acc'):
        if key in head:
            linear[key] = head[key]
    for name in ('weight', 'bias'):
        state[f'head.fc.{name}'] = state.pop(f'head.layers.head.{name}')
    return linear


def _to_sdk_head(head: ConfigDict, state: Dict[str,
                                               torch.Tensor]) -> ConfigDict:
    """Swap a head MMDeploy's SDK cannot post-process for an equal one it
    can, renaming its weights in ``state``, and our ``DistTokenClsHead`` for
    the stock head with its weights and inference, ``DeiTClsHead``; other
    heads are kept."""
    if head.get('type') == 'VisionTransformerClsHead' and head.get(
            'hidden_dim') is None:
        return _vit_head_to_linear(head, state)
    if head.get('type') == 'DistTokenClsHead':
        return ConfigDict(head, type='DeiTClsHead')
    return head


def _strip(state: Dict[str, torch.Tensor], prefix: str) -> OrderedDict:
    return OrderedDict(
        (k[len(prefix):], v) for k, v in state.items() if k.startswith(prefix))


def _pair_weights(ckpt: dict, use_ema: bool) -> Tuple[OrderedDict, bool]:
    """The pair's weights from a Runner checkpoint.

    MMEngine's ``EMAHook`` swaps the EMA weights into ``state_dict`` at save
    and keeps the raw ones, ``module.``-prefixed, in ``ema_state_dict``.

    Returns:
        tuple: The state dict (no DDP prefix) and whether it is the EMA one.
    """
    if not isinstance(ckpt, dict) or 'state_dict' not in ckpt:
        raise ExtractError('the checkpoint has no `state_dict`: not an '
                           'MMEngine checkpoint')
    has_ema = 'ema_state_dict' in ckpt
    if use_ema or not has_ema:
        state = ckpt['state_dict']
    else:
        state = _strip(ckpt['ema_state_dict'], 'module.')
    if state and all(k.startswith('module.') for k in state):
        state = _strip(state, 'module.')
    return OrderedDict(state), has_ema and use_ema


def _unscoped(obj):
    """``obj`` without MMEngine's ``_scope_`` keys: a config that inherits
    ``vpl_mm::`` bases carries ``_scope_='vpl_mm'`` in their dicts, a scope
    that a process without vpl_mm does not have."""
    if isinstance(obj, dict):
        return {k: _unscoped(v) for k, v in obj.items() if k != '_scope_'}
    if isinstance(obj, (list, tuple)):
        return type(obj)(_unscoped(v) for v in obj)
    return obj


def _branch_config(cfg: Config, branch: str,
                   state: Dict[str, torch.Tensor]) -> Config:
    """A self-contained stock config for one branch; may rename ``state``
    keys when the head is converted for MMDeploy's SDK."""
    model = copy.deepcopy(cfg.model[branch])
    preprocessor = cfg.model.get('data_preprocessor') or cfg.get(
        'data_preprocessor') or dict(type='ClsDataPreprocessor')
    preprocessor = copy.deepcopy(preprocessor)
    preprocessor.setdefault('type', 'ClsDataPreprocessor')
    model.data_preprocessor = copy.deepcopy(preprocessor)
    model.head = _to_sdk_head(model.head, state)

    out = dict(
        default_scope='mmpretrain',
        model=model,
        data_preprocessor=preprocessor,
    )
    for name in DATALOADERS:
        if cfg.get(name) is not None:
            out[name] = copy.deepcopy(cfg[name])
    for name in EVALUATORS:
        evaluator = cfg.get(name)
        if isinstance(evaluator, dict) and evaluator.get(
                'type', '').split('.')[-1] == 'PairMetric':
            evaluator = evaluator.metric
        if evaluator is not None:
            out[name] = copy.deepcopy(evaluator)
    if cfg.get('visualizer') is not None:  # for MMPretrain's tools
        out['visualizer'] = copy.deepcopy(cfg.visualizer)
    loader = out.get('test_dataloader') or out.get('val_dataloader')
    if loader is not None:
        out['test_pipeline'] = copy.deepcopy(loader.dataset.pipeline)
    if 'test_dataloader' in out:
        out.setdefault('test_cfg', dict())
    if 'val_dataloader' in out:
        out.setdefault('val_cfg', dict())
    return Config(_unscoped(out))


def extract_branch(config: str,
                   checkpoint: str,
                   branch: str,
                   out_dir: str,
                   use_ema: bool = True) -> Tuple[str, str]:
    """Write ``out_dir/<branch>.py`` and ``out_dir/<branch>.pth``.

    Args:
        config (str): The pair's config file.
        checkpoint (str): A checkpoint of that pair (Runner checkpoint).
        branch (str): ``'cnn'`` or ``'trans'``.
        out_dir (str): Output folder (created).
        use_ema (bool): Take the EMA weights when the checkpoint has them
            (the default); False takes the raw weights.

    Returns:
        tuple[str, str]: Paths of the written config and checkpoint.

    Raises:
        ExtractError: Not a pair config or checkpoint, unknown or missing
            branch. Nothing is written.
        CheckpointError: A file that is no readable checkpoint, or weights
            that do not fit the branch or are not finite (NaN, inf). Nothing
            is written.
    """
    from mmpretrain.registry import MODELS

    if branch not in BRANCHES:
        raise ExtractError(
            f'unknown branch {branch!r}: choose one of {BRANCHES}')
    cfg = Config.fromfile(config)
    model_type = str(cfg.get('model', {}).get('type', '')).split('.')[-1]
    if model_type != 'PairClassifier':
        raise ExtractError(f'{config} is not a pair config: its model is '
                           f'{model_type or "missing"}, not PairClassifier')
    if cfg.model.get(branch) is None:
        raise ExtractError(f'{config} has no `model.{branch}` branch')
    ckpt = read_checkpoint(checkpoint)
    pair_state, ema = _pair_weights(ckpt, use_ema)
    state = _strip(pair_state, f'{branch}.')
    if not state:
        raise ExtractError(
            f'{checkpoint} holds no `{branch}.*` weights: not a checkpoint of '
            'a PairClassifier')
    out_cfg = _branch_config(cfg, branch, state)

    # The weights must fit the stock model exactly, and be finite.
    check_fits(state,
               MODELS.build(copy.deepcopy(out_cfg.model)).state_dict(),
               checkpoint, f'branch `{branch}` of {config}')

    src_meta = ckpt.get('meta') or {}
    meta = dict(
        branch=branch,
        ema=ema,
        source_config=osp.abspath(config),
        source_checkpoint=osp.abspath(checkpoint))
    for key in ('epoch', 'iter', 'dataset_meta', 'mmpretrain_version',
                'mmengine_version'):
        if key in src_meta:
            meta[key] = copy.deepcopy(src_meta[key])
    out = dict(
        meta=meta,
        state_dict=OrderedDict(
            (k, v.detach().clone().contiguous()) for k, v in state.items()))

    os.makedirs(out_dir, exist_ok=True)
    cfg_path = osp.join(out_dir, f'{branch}.py')
    ckpt_path = osp.join(out_dir, f'{branch}.pth')
    atomic_write(ckpt_path, lambda f: torch.save(out, f))
    atomic_write(cfg_path, lambda f: f.write(out_cfg.pretty_text.encode()))
    return cfg_path, ckpt_path
