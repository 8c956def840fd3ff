"""A test hook: after each training epoch, every rank saves its parameters
(``RankParamsProbe(out_dir=...)``), to compare the ranks of a DDP run."""
import os.path as osp

import torch
from mmengine.dist import get_rank
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class RankParamsProbe(Hook):

    def __init__(self, out_dir):
        self.out_dir = out_dir

    def after_train_epoch(self, runner):
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        torch.save({
            k: v.detach().clone()
            for k, v in model.named_parameters()
        },
                   osp.join(self.out_dir,
                            f'rank{get_rank()}_epoch{runner.epoch + 1}.pth'))
