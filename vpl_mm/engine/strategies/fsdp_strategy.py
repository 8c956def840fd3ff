import os
import os.path as osp
import shutil
from typing import Optional

import torch
from mmengine._strategy import FSDPStrategy
from mmengine.dist import barrier, is_main_process
from mmengine.registry import STRATEGIES
from torch.distributed.fsdp import FullyShardedDataParallel as FSDP


@STRATEGIES.register_module()
class PairFSDPStrategy(FSDPStrategy):
    """MMEngine's ``FSDPStrategy`` (``runner_type='FlexibleRunner'``), made
    to resume with torch >= 2.1 and to run on CPU.

    - Resume: MMEngine 0.10.7 calls ``FSDP.optim_state_dict_to_load`` with
      its arguments in the order of torch 2.0 (state dict first), which
      newer torch reads as (model, optimizer, state dict) and fails on
      (``TypeError: unhashable type: 'dict'``). Here they are passed by name.
    - Per-branch learning rates: the model is wrapped with
      ``use_orig_params=True`` by default, so that the optimizer sees the
      original parameter names and ``paramwise_cfg`` (e.g. the CNN's
      ``lr_mult``) applies; with flattened parameters it would silently not.
    - CPU: without CUDA, the model is wrapped with ``device_id='cpu'``
      (MMEngine passes ``LOCAL_RANK``, a CUDA device index), for training
      with the gloo backend; and state dicts are not "offloaded to CPU":
      with ``use_orig_params=True``, torch 2.14 then returns the AdamW
      moments ``exp_avg`` and ``exp_avg_sq`` as one shared tensor, and a
      resume would train on with wrong moments.
    - Atomic checkpoints: each is written under a temporary name and
      renamed when complete (MMEngine's ``FlexibleRunner`` ignores the
      checkpoint hook's file backend), so a crash never leaves a truncated
      checkpoint under the real name; ``last_checkpoint`` is written after.
    - ``state_dict_cfg`` defaults to ``'full'``: checkpoints are ordinary
      single files on rank 0 (the other ranks' parameters gathered to its
      CPU), readable by ``tools/test.py``, ``tools/extract_branch.py`` and
      the weights-only loader. (``'local'`` writes one shard per rank, with
      ``ShardedTensor`` objects that the weights-only loader refuses.)

    Args:
        model_wrapper (dict, optional): As ``FSDPStrategy``, e.g.
            ``dict(auto_wrap_policy=dict(type='torch.distributed.fsdp.wrap.'
            'size_based_auto_wrap_policy', min_num_params=1e7))``.
        state_dict_cfg (str | dict): As ``FSDPStrategy``. Defaults to
            ``'full'``.
        **kwargs: Other arguments of ``FSDPStrategy``.
    """

    def __init__(self,
                 *,
                 model_wrapper: Optional[dict] = None,
                 state_dict_cfg='full',
                 **kwargs) -> None:
        model_wrapper = dict(model_wrapper or {})
        model_wrapper.setdefault('use_orig_params', True)
        if not torch.cuda.is_available():
            model_wrapper.setdefault('device_id', 'cpu')
        super().__init__(
            model_wrapper=model_wrapper,
            state_dict_cfg=state_dict_cfg,
            **kwargs)

    def _init_state_dict_cfg(self, state_dict_cfg) -> None:
        # Extends mmengine/_strategy/fsdp.py FSDPStrategy._init_state_dict_cfg
        # (private): no CPU offload on CPU, where torch 2.14 aliases AdamW's
        # two moments in the offloaded state (canary: test_upstream_contract).
        super()._init_state_dict_cfg(state_dict_cfg)
        if not torch.cuda.is_available():
            self.state_dict_config.offload_to_cpu = False
            self.optim_state_dict_config.offload_to_cpu = False

    def save_checkpoint(self, filename: str, **kwargs) -> None:
        """``FSDPStrategy.save_checkpoint``, written atomically (local
        paths)."""
        if '://' in filename:
            return super().save_checkpoint(filename, **kwargs)
        partial = f'{filename}.partial'
        super().save_checkpoint(partial, **kwargs)
        if not self._is_full_state_dict():
            barrier()  # every rank's shard is in the partial directory
        if is_main_process():
            if osp.isdir(filename):
                shutil.rmtree(filename)
            os.replace(partial, filename)

    def load_optim_state_dict(self, state_dict: dict) -> None:
        """Load an optimizer state saved by :meth:`optim_state_dict`."""
        # Mirrors mmengine/_strategy/fsdp.py FSDPStrategy.load_optim_state_dict
        # with the arguments by name: 0.10.7 passes torch 2.0's order
        # (docs/upstream.md; canary: tests/test_upstream_contract.py).
        self.optim_wrapper.load_state_dict(
            FSDP.optim_state_dict_to_load(
                model=self.model,
                optim=self.optim_wrapper.optimizer,
                optim_state_dict=state_dict))
