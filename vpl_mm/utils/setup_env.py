"""Adapt a config to the machine at hand before MMEngine's Runner is built."""
import datetime
import os
import subprocess

import torch
import torch.distributed as dist
from mmengine.config import Config

DDP_WRAPPERS = ('MMDistributedDataParallel',
                'MMSeparateDistributedDataParallel')
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _env_from_slurm() -> None:
    """Set torch's rendezvous variables from a Slurm task's environment.

    The first node of ``SLURM_NODELIST`` (through ``scontrol``) is the
    master; ``MASTER_PORT`` defaults to 29500, as in MMEngine.
    """
    env = os.environ
    if 'MASTER_ADDR' not in env:
        nodes = subprocess.run(
            ['scontrol', 'show', 'hostnames', env['SLURM_NODELIST']],
            capture_output=True,
            text=True,
            check=True).stdout.split()
        env['MASTER_ADDR'] = nodes[0]
    env.setdefault('MASTER_PORT', '29500')
    env['WORLD_SIZE'] = env['SLURM_NTASKS']
    env['RANK'] = env['SLURM_PROCID']
    env['LOCAL_RANK'] = env.get('SLURM_LOCALID', '0')


def adapt_cfg_to_machine(cfg: Config) -> Config:
    """Make ``cfg`` run here, with or without a GPU.

    - A dataloader with ``num_workers=0`` gets ``persistent_workers=False``
      (PyTorch refuses persistent workers without workers; MMPretrain's
      ``tools/train.py`` turns them on by default).
    - Without CUDA, ``AmpOptimWrapper`` (``--amp``) becomes
      :class:`CPUAmpOptimWrapper` (bf16 autocast, no loss scaling).
    - Without CUDA and with ``launcher='pytorch'`` or ``'slurm'``: the gloo
      process group is started here (MMEngine's ``init_dist`` would call
      ``torch.cuda.set_device``), and DDP is built without ``device_ids``.

    Args:
        cfg (Config): The merged config (``cfg.launcher`` set).

    Returns:
        Config: ``cfg``, changed in place.
    """
    optim_wrapper = cfg.get('optim_wrapper')
    wrapper_type = (optim_wrapper or {}).get('type', 'OptimWrapper')
    for field in DATALOADERS:
        loader = cfg.get(field)
        if loader is not None and loader.get('num_workers', 0) == 0:
            loader['persistent_workers'] = False
    if torch.cuda.is_available():
        return cfg
    if wrapper_type.split('.')[-1] == 'AmpOptimWrapper':
        optim_wrapper.type = 'CPUAmpOptimWrapper'
        optim_wrapper.pop('loss_scale', None)
        optim_wrapper.dtype = 'bfloat16'
    if cfg.get('launcher', 'none') in ('pytorch', 'slurm'):
        if not dist.is_initialized():
            if cfg.launcher == 'slurm':
                _env_from_slurm()
            timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
            kwargs = {} if timeout is None else dict(
                timeout=datetime.timedelta(seconds=timeout))
            dist.init_process_group(backend='gloo', **kwargs)
        wrapper = dict(cfg.get('model_wrapper_cfg') or {})
        wrapper.setdefault('type', 'MMDistributedDataParallel')
        if wrapper['type'].split('.')[-1] in DDP_WRAPPERS:
            wrapper.setdefault('broadcast_buffers', False)
            wrapper.setdefault('find_unused_parameters',
                               cfg.get('find_unused_parameters', False))
            wrapper['device_ids'] = None
        cfg.model_wrapper_cfg = wrapper
    return cfg
