from mmengine.hooks import EMAHook as MMEngineEMAHook
from mmpretrain.engine.hooks import EMAHook
from mmpretrain.registry import HOOKS


@HOOKS.register_module()
class SafeEMAHook(EMAHook):
    """MMPretrain's ``EMAHook`` that refuses what it cannot average.

    Everything else is MMPretrain's: the EMA weights are the ones validated,
    tested and saved in ``state_dict`` (the raw ones go to
    ``ema_state_dict``), and ``evaluate_on_origin=True`` validates the raw
    weights too, through the val loop (its hooks, autocast and evaluator),
    logged as ``<metric>_origin`` (e.g. ``cnn/accuracy/top1_origin``).
    What this hook adds:

    - under FSDP it stops before training (``TypeError``): MMEngine's EMA
      copies the whole model on every rank, FSDP shards it;
    - ``load_from`` (fine-tuning, e.g. the transfer configs with new heads;
      testing) loads as MMEngine's ``EMAHook`` does: the EMA starts from
      the checkpoint's ``state_dict`` (its EMA weights), parameters of
      another shape left out. MMPretrain 1.2's would load
      ``ema_state_dict`` by shape and fail on a new head.

    Args:
        **kwargs: Arguments of MMPretrain's ``EMAHook`` (``ema_type``,
            ``momentum``, ``evaluate_on_origin`` ...).

    Examples:
        >>> custom_hooks = [dict(type='SafeEMAHook', ema_type='WarmupEMA',
        ...                      momentum=1e-4, evaluate_on_origin=True)]
    """

    def before_run(self, runner) -> None:
        """As ``EMAHook``; refuses an FSDP-sharded model.

        Raises:
            TypeError: under FSDP, whose full state dict lives on rank 0
                only, while an EMA needs every parameter on every rank.
        """
        from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
        if isinstance(runner.model, FSDP):
            raise TypeError(
                f'{type(self).__name__} cannot average an FSDP-sharded model '
                "(MMEngine's EMA copies the whole model on every rank); "
                'remove the EMA hook from custom_hooks, or train with DDP.')
        super().before_run(runner)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        """On resume: as MMPretrain's ``EMAHook`` (a checkpoint of another
        model is refused before, by :class:`CheckpointFitHook`); for
        ``load_from``: as MMEngine's."""
        if runner._resume:
            super().after_load_checkpoint(runner, checkpoint)
        else:
            # mmengine/hooks/ema_hook.py EMAHook.after_load_checkpoint: its
            # load_from branch (mmpretrain's ignores runner._resume; canary:
            # tests/test_upstream_contract.py, docs/upstream.md)
            MMEngineEMAHook.after_load_checkpoint(self, runner, checkpoint)
