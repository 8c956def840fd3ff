"""Where a training run's time goes: a hook for ``benchmarks.time_to_models``
(loaded through the run's ``custom_imports``)."""
import json
import time

from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS

# the parts of a run's wall time, as benchmarks.time_to_models reports them
PARTS = ('startup', 'data', 'step', 'val', 'other', 'teardown')


@HOOKS.register_module()
class TimingHook(Hook):
    """Write, after training, the times (seconds) of a run's parts.

    ``before_train`` and ``after_train`` are clock times (``time.time()``),
    the start-up and teardown being measured against the process's start
    and end by the caller; ``data``, ``step``, ``val`` and ``other`` are
    durations within the training loop, from MMEngine's own per-iteration
    ``data_time`` and ``time`` (``IterTimerHook``) and the validation loops'
    spans: ``other = loop - data - step - val``.

    Args:
        out (str): The JSON file to write.
    """

    priority = 'LOWEST'

    def __init__(self, out: str) -> None:
        self.out = out
        self.data = self.step = self.val = 0.0

    def before_train(self, runner) -> None:
        self.start = time.time()

    def after_train_iter(self,
                         runner,
                         batch_idx,
                         data_batch=None,
                         outputs=None) -> None:
        hub = runner.message_hub
        data = hub.get_scalar('train/data_time').current()
        self.data += data
        self.step += hub.get_scalar('train/time').current() - data

    def before_val(self, runner) -> None:
        self.val_start = time.time()

    def after_val(self, runner) -> None:
        self.val += time.time() - self.val_start

    def after_train(self, runner) -> None:
        end = time.time()
        with open(self.out, 'w') as f:
            json.dump(
                dict(
                    before_train=self.start,
                    after_train=end,
                    data=self.data,
                    step=self.step,
                    val=self.val,
                    other=end - self.start - self.data - self.step - self.val),
                f)
