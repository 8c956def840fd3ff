from typing import List

import torch.nn as nn
from mmengine.hooks import Hook
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import HOOKS

from vpl_mm.utils.errors import ConfigError
from vpl_mm.utils.model import bare_model


def head_classes(model: nn.Module) -> List[int]:
    """``num_classes`` of every classification head in ``model``."""
    return [
        m.num_classes for m in model.modules() if isinstance(m, ClsHead)
        and isinstance(getattr(m, 'num_classes', None), int)
    ]


@HOOKS.register_module()
class DataFitHook(Hook):
    """Refuse data that cannot work with the model, before iteration 1.

    Without it, the first sign is an error deep inside an iteration:

    - a train batch of one image, with BatchNorm in training or with a PLM
      term that needs two (the contrastive term: eq. 3-5 need N >= 2; see
      :meth:`PairLearningHead.min_batch`): BatchNorm's "Expected more than 1
      value per channel"; also an epoch's last batch of one image (e.g. 65
      images in batches of 64 without ``drop_last``);
    - heads that predict another number of classes than the dataset has:
      ``IndexError: Target 6 is out of bounds`` (more classes in the data),
      or silently unused outputs (fewer).

    Both are refused naming the config key (``train_dataloader.batch_size``,
    ``<dataloader>.dataset`` and ``num_classes``). The classes are checked
    where the dataset tells them (``metainfo['classes']``).
    Every config of ours has it (``default_hooks.data_fit``), whichever
    tool builds the Runner; our tools add it to a config that does not
    inherit ours.
    """

    priority = 'VERY_HIGH'

    def _check_classes(self, runner, name: str, loader) -> None:
        dataset = getattr(loader, 'dataset', None)
        classes = getattr(dataset, 'metainfo', {}).get('classes')
        heads = sorted(set(head_classes(bare_model(runner.model))))
        if not classes or not heads or heads == [len(classes)]:
            return
        raise ConfigError(
            f'the model\'s heads predict {" and ".join(map(str, heads))} '
            f'classes (num_classes), but {name}.dataset has {len(classes)} '
            f'({type(dataset).__name__}: {list(classes)[:5]}...): set '
            f'num_classes={len(classes)} in every head')

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        self._check_classes(runner, 'train_dataloader', loader)
        model = bare_model(runner.model)
        batch = getattr(loader, 'batch_size', None)
        if not isinstance(batch, int):
            return
        head = getattr(model, 'pair_head', None)
        least, term = head.min_batch() if hasattr(head,
                                                  'min_batch') else (1, None)
        needs = [
            why for why, hit in
            (('BatchNorm in training',
              any(
                  isinstance(m, nn.modules.batchnorm._BatchNorm) and m.training
                  for m in model.modules())),
             (f'the PLM term `{term}` ({type(head.terms[term].loss).__name__}'
              f' needs N >= {least})' if term else '', least >= 2)) if hit
        ]
        if not needs:
            return
        if batch < 2:
            raise ConfigError(
                f'train_dataloader.batch_size={batch}: {" and ".join(needs)} '
                'need at least 2 images per batch')
        per_rank = len(loader.sampler) if hasattr(loader.sampler,
                                                  '__len__') else None
        if per_rank and not loader.drop_last and per_rank % batch == 1:
            raise ConfigError(
                f'train_dataloader.batch_size={batch}: the last batch of each '
                f'epoch would hold 1 image ({per_rank} per process), which '
                f'{" and ".join(needs)} cannot take: change the batch size or '
                'set train_dataloader.drop_last=True')

    def before_val(self, runner) -> None:
        self._check_classes(runner, 'val_dataloader', runner.val_dataloader)

    def before_test(self, runner) -> None:
        self._check_classes(runner, 'test_dataloader', runner.test_dataloader)
