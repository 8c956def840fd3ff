from typing import Optional

from mmengine.dist import is_main_process
from mmengine.hooks import CheckpointHook
from mmpretrain.registry import HOOKS

import vpl_mm.utils.atomic  # noqa: F401  (registers 'atomic_local')


@HOOKS.register_module()
class SafeCheckpointHook(CheckpointHook):
    """MMEngine's ``CheckpointHook`` made safe against crashes and mix-ups.

    - Each checkpoint is written atomically (temporary file, then rename,
      through the ``atomic_local`` file backend): a file named like a
      checkpoint is always complete, and ``last_checkpoint`` is updated only
      after it is written (as MMEngine does).
    - With ``max_keep_ckpts``, old checkpoints are deleted only after the new
      one is written. (MMEngine deletes first, so a crash while writing can
      leave ``last_checkpoint`` pointing to a deleted file.)

    Takes the arguments of ``CheckpointHook``; ``backend_args`` defaults to
    ``dict(backend='atomic_local')``.
    """

    def __init__(self, *args, backend_args: Optional[dict] = None, **kwargs):
        if backend_args is None:
            backend_args = dict(backend='atomic_local')
        super().__init__(*args, backend_args=backend_args, **kwargs)

    def _save_checkpoint_with_step(self, runner, step, meta):
        # Mends mmengine/hooks/checkpoint_hook.py
        # CheckpointHook._save_checkpoint_with_step, which deletes the oldest
        # checkpoint before saving the new one (docs/upstream.md); canary:
        # tests/test_upstream_contract.py.
        keep, self.max_keep_ckpts = self.max_keep_ckpts, -1
        stale = None
        if keep > 0 and (not self.keep_ckpt_ids
                         or self.keep_ckpt_ids[-1] != step):
            if len(self.keep_ckpt_ids) == keep:
                stale = self.keep_ckpt_ids.popleft()
            # recorded before saving, so that the checkpoint knows itself
            self.keep_ckpt_ids.append(step)
            runner.message_hub.update_info('keep_ckpt_ids',
                                           list(self.keep_ckpt_ids))
        try:
            super()._save_checkpoint_with_step(runner, step, meta)
        finally:
            self.max_keep_ckpts = keep
        if stale is not None and is_main_process():
            path = self.file_backend.join_path(
                self.out_dir, self.filename_tmpl.format(stale))
            if self.file_backend.isfile(path):
                self.file_backend.remove(path)
            elif self.file_backend.isdir(path):  # FSDP's sharded checkpoint
                self.file_backend.rmtree(path)
