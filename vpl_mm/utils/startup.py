"""CPU and distributed start-up, before MMEngine's Runner is built.

Three steps, in this order (:func:`vpl_mm.utils.run_mmpretrain_tool`):
:func:`keep_freed_memory` (CPU only), :func:`adapt_cfg_to_machine` (a pure
config transform) and :func:`start_cpu_process_group` (CPU distributed
runs: the one step with a side effect).
"""
import ctypes
import ctypes.util
import datetime
import os
import subprocess

import torch
import torch.distributed as dist
from mmengine.config import Config

# mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> bool:
    """Stop glibc from returning each step's freed activations to the OS.

    By default glibc unmaps large freed blocks and trims the heap, so every
    training step on CPU page-faults its activation memory in again; the
    cost grows with the step's peak memory, which is larger for a pair (both
    branches' activations are alive at once) than for either branch alone.
    Measured (``benchmarks/README.md``): R50 + ViT-B steps ~15% faster, and
    the pair step no longer costs more than the two solo steps. Memory
    stays at the peak instead of being returned between steps. GPU memory
    is not affected (PyTorch's CUDA allocator caches by itself).

    Returns:
        bool: Whether glibc took the settings (False elsewhere, e.g. musl).
    """
    name = ctypes.util.find_library('c')
    try:
        libc = ctypes.CDLL(name)
        mallopt = libc.mallopt
    except (OSError, AttributeError, TypeError):
        return False
    # blocks up to 32 MiB from the heap (the most glibc allows), never trim
    return all(
        mallopt(param, value) == 1
        for param, value in ((M_MMAP_THRESHOLD, 32 * 2**20),
                             (M_TRIM_THRESHOLD, 2**31 - 1), (M_TOP_PAD,
                                                             64 * 2**20)))


DDP_WRAPPERS = ('MMDistributedDataParallel',
                'MMSeparateDistributedDataParallel')
DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def _distributed_on_cpu(cfg: Config) -> bool:
    """A multi-process launch (``pytorch``/``slurm``) on a machine without
    CUDA: MMEngine's GPU-only set-up does not fit it."""
    return (not torch.cuda.is_available()
            and cfg.get('launcher', 'none') in ('pytorch', 'slurm'))


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
    - Without CUDA and with ``launcher='pytorch'`` or ``'slurm'``: DDP is
      built without ``device_ids`` (the process group: see
      :func:`start_cpu_process_group`).

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
    if _distributed_on_cpu(cfg):
        wrapper = dict(cfg.get('model_wrapper_cfg') or {})
        wrapper.setdefault('type', 'MMDistributedDataParallel')
        if wrapper['type'].split('.')[-1] in DDP_WRAPPERS:
            wrapper.setdefault('broadcast_buffers', False)
            wrapper.setdefault('find_unused_parameters',
                               cfg.get('find_unused_parameters', False))
            wrapper['device_ids'] = None
        cfg.model_wrapper_cfg = wrapper
    return cfg


def start_cpu_process_group(cfg: Config) -> bool:
    """Start the gloo process group of a CPU distributed run.

    Without CUDA, with ``cfg.launcher`` ``'pytorch'`` or ``'slurm'`` and no
    process group yet: MMEngine's ``init_dist`` would call
    ``torch.cuda.set_device``, so the group is started here, with the
    config's ``env_cfg.dist_cfg.timeout``; the Runner then finds it started
    and keeps it. Elsewhere (a GPU, no launcher) it does nothing.

    Returns:
        bool: Whether a process group was started.
    """
    if not _distributed_on_cpu(cfg) or dist.is_initialized():
        return False
    if cfg.launcher == 'slurm':
        _env_from_slurm()
    timeout = cfg.get('env_cfg', {}).get('dist_cfg', {}).get('timeout')
    kwargs = {} if timeout is None else dict(
        timeout=datetime.timedelta(seconds=timeout))
    dist.init_process_group(backend='gloo', **kwargs)
    return True
