from typing import Dict, Optional

import torch
from mmengine.hooks import EMAHook
from mmpretrain.registry import HOOKS

from vpl_mm.utils.checkpoint import check_resume_fits


@HOOKS.register_module()
class DualEMAHook(EMAHook):
    """MMEngine's ``EMAHook`` that can also validate the raw weights.

    On resume it refuses a checkpoint of another model with the message of
    :class:`SafeCheckpointHook` (hooks of higher priority see the checkpoint
    first; MMEngine's ``EMAHook`` would fail in its strict load instead).

    As ``EMAHook``, the EMA weights are the ones validated, tested and saved
    in ``state_dict`` (the raw ones go to ``ema_state_dict``). With
    ``eval_raw=True``, each validation is followed by a second pass over the
    validation set with the raw weights, logged as ``raw/<metric>`` (e.g.
    ``raw/cnn/accuracy/top1``) beside the EMA metrics.

    Args:
        eval_raw (bool): Also validate the raw weights. Costs one more
            validation pass. Defaults to False.
        **kwargs: Arguments of ``EMAHook`` (``ema_type``, ``momentum`` ...).
    """

    def __init__(self, eval_raw: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.eval_raw = eval_raw

    def before_run(self, runner) -> None:
        """As ``EMAHook``; refuses an FSDP-sharded model.

        Raises:
            TypeError: under FSDP, whose full state dict lives on rank 0
                only, while an EMA needs every parameter on every rank.
        """
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        if isinstance(runner.model, FSDP):
            raise TypeError(
                'DualEMAHook cannot average an FSDP-sharded model (MMEngine'
                "'s EMA copies the whole model on every rank); remove the "
                'EMA hook from custom_hooks, or train with DDP.')
        super().before_run(runner)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """Refuse a checkpoint of another model (before the EMA's own
        strict load fails on it less clearly); then as ``EMAHook``."""
        check_resume_fits(runner, checkpoint)
        super().after_load_checkpoint(runner, checkpoint)

    def after_val_epoch(self,
                        runner,
                        metrics: Optional[Dict[str, float]] = None) -> None:
        super().after_val_epoch(runner, metrics)  # the raw weights are back
        if not self.eval_raw:
            return
        loop = runner.val_loop
        with torch.no_grad():
            for data_batch in loop.dataloader:
                outputs = runner.model.val_step(data_batch)
                loop.evaluator.process(
                    data_samples=outputs, data_batch=data_batch)
        raw = loop.evaluator.evaluate(len(loop.dataloader.dataset))
        for key, value in raw.items():
            runner.message_hub.update_scalar(f'val/raw/{key}', value)
            if metrics is not None:
                metrics[f'raw/{key}'] = value
