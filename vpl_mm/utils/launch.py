"""Launch our tools: MMPretrain's own command-line tools run with vpl_mm in
place, after our start-up.

The start-up, before MMEngine's Runner is built, is three steps, in this
order (:func:`run_mmpretrain_tool`): :func:`keep_freed_memory` (CPU only),
:func:`adapt_cfg_to_machine` (a pure config transform) and
:func:`start_cpu_process_group` (CPU distributed runs: the one step with a
side effect).
"""
import argparse
import ctypes
import ctypes.util
import datetime
import gc
import importlib.util
import logging
import os
import os.path as osp
import subprocess
import sys
from types import ModuleType, SimpleNamespace

import mmpretrain
import torch
import torch.distributed as dist
from mmengine.config import Config
from mmengine.logging import print_log

# mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3


def keep_freed_memory() -> bool:
    """Stop glibc from returning each step's freed activations to the OS.

    By default glibc unmaps large freed blocks and trims the heap, so every
    training step on CPU page-faults its activation memory in again; the
    cost grows with the step's peak memory, which is larger for a pair (both
    branches' activations are alive at once) than for either branch alone.
    What it saves is measured in ``benchmarks/README.md`` ("Speed and
    memory", ``--stock-malloc`` beside the default). Memory
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


def load_mmpretrain_tool(name: str) -> ModuleType:
    """Import MMPretrain's stock ``tools/<name>.py`` as a module.

    MMPretrain ships its tools inside the package (``mmpretrain/.mim/tools``)
    for ``mim``; we reuse them rather than keep copies.

    Args:
        name (str): Tool name, e.g. ``'train'`` or ``'test'``.

    Returns:
        ModuleType: The tool's module (not run).
    """
    path = osp.join(
        osp.dirname(mmpretrain.__file__), '.mim', 'tools', f'{name}.py')
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'MMPretrain tool {path} not found: install mmpretrain from its '
            'wheel or with `mim`, which ship tools/ inside the package.')
    spec = importlib.util.spec_from_file_location(f'mmpretrain_tool_{name}',
                                                  path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def add_tensorboard(cfg) -> None:
    """Add MMEngine's ``TensorboardVisBackend`` to ``cfg.visualizer``
    (event files next to ``scalars.json``, in ``vis_data/``).

    Raises:
        ConfigError: if TensorBoard is not installed (MMEngine would fail
            later, with torch's hint).
    """
    if importlib.util.find_spec('tensorboard') is None:
        from .errors import ConfigError
        raise ConfigError('--tensorboard needs TensorBoard: pip install '
                          '"vpl_mm[tensorboard]" (or -r '
                          'requirements/tensorboard.txt: the version that '
                          'keeps `pip check` clean beside mmdeploy)')
    visualizer = cfg.setdefault(
        'visualizer', dict(type='UniversalVisualizer', vis_backends=[]))
    backends = list(visualizer.get('vis_backends') or [])
    if not any(b.get('type') == 'TensorboardVisBackend' for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    visualizer['vis_backends'] = backends


# the hooks of configs/_base_/default_runtime.py that check what a run loads
# and reads, by their default_hooks names
FIT_HOOKS = dict(checkpoint_fit='CheckpointFitHook', data_fit='DataFitHook')


def add_fit_checks(cfg, partial_load: bool) -> None:
    """Give ``cfg`` the checks of our configs' runtime:
    :class:`CheckpointFitHook` and :class:`DataFitHook` in
    ``default_hooks`` (kept as the config has them; added to a config that
    does not inherit ours; not where the config sets them to None), and
    none of them in ``custom_hooks`` (where configs dumped by older vpl_mm
    versions put them)."""
    hooks = cfg.setdefault('default_hooks', {})
    for key, kind in FIT_HOOKS.items():
        if key not in hooks:
            hooks[key] = dict(type=kind)
    if partial_load and hooks.get('checkpoint_fit') is not None:
        hooks['checkpoint_fit']['partial_load'] = True
    cfg.custom_hooks = [
        h for h in cfg.get('custom_hooks') or []
        if str(h.get('type')).split('.')[-1] not in FIT_HOOKS.values()
    ]


def exit_on_input_error(tool: str, main) -> None:
    """Run ``main()``; a bad file or config value (:class:`InputError`) ends
    the process with its one-line message on stderr and exit status 1
    (``VPL_MM_TRACEBACK=1``: with the traceback)."""
    from .errors import InputError
    try:
        main()
    except InputError as e:
        if os.environ.get('VPL_MM_TRACEBACK') == '1':
            raise
        sys.exit(f'{tool}: error: {e}')


# The flags our tools add to MMPretrain's (listed in their -h)
OUR_FLAGS = dict(
    train=(('--tensorboard', 'also log to TensorBoard event files in '
            '<work_dir>/<timestamp>/vis_data/ (vpl_mm; needs pip install '
            '"vpl_mm[tensorboard]")'), ),
    test=(('--partial-load', 'load what fits of a checkpoint that fits the '
           'model only in part, and log the rest (vpl_mm; by default such a '
           'checkpoint is refused)'), ))


def add_our_flags(tool: ModuleType, name: str) -> None:
    """Give the parser of MMPretrain's ``tools/<name>.py`` our flags
    (:data:`OUR_FLAGS`), so that they parse and ``-h`` lists them.

    The tool builds its parser from its module's ``argparse`` inside
    ``parse_args()``; that name is swapped for a copy whose
    ``ArgumentParser`` adds our flags (canary: test_upstream_contract).
    """

    class ArgumentParser(argparse.ArgumentParser):

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            for flag, text in OUR_FLAGS.get(name, ()):
                self.add_argument(flag, action='store_true', help=text)

    tool.argparse = SimpleNamespace(
        **dict(vars(argparse), ArgumentParser=ArgumentParser))


def run_mmpretrain_tool(name: str) -> None:
    """Run MMPretrain's ``tools/<name>.py`` main, with the same command line.

    The only changes, our start-up (above): without
    CUDA, :func:`keep_freed_memory` tunes glibc's allocator first; after
    MMPretrain merges the command-line arguments into the config,
    :func:`adapt_cfg_to_machine` adapts it (``--amp`` without GPU, DDP on
    CPU) and :func:`start_cpu_process_group` starts a CPU distributed run's
    gloo group. The tool's parser also takes our flags
    (:func:`add_our_flags`): ``--tensorboard`` adds MMEngine's
    ``TensorboardVisBackend`` to the visualizer (MMEngine's
    ``--cfg-options`` parser cannot express a list of dicts, so that is the
    switch that needs no config edit).

    The checks that our configs carry (:class:`CheckpointFitHook`,
    :class:`DataFitHook`) are added to a config that does not inherit
    ours (:func:`add_fit_checks`); ``test`` refuses a checkpoint that does
    not fit the model or holds NaN / inf weights, unless ``--partial-load``
    (ours) asks to load what fits. Before anything is built, a
    missing config file, a key that a vpl_mm component does not take
    (:func:`check_component_args`) and a ``--cfg-options`` key that changes
    nothing (:func:`ignored_options`, a warning) are named. A bad file or
    config value ends the run with one line (:func:`exit_on_input_error`).

    Args:
        name (str): Tool name, ``'train'`` or ``'test'``.
    """
    from .config_check import check_component_args, ignored_options
    from .errors import ConfigError
    if not torch.cuda.is_available():
        keep_freed_memory()
    tool = load_mmpretrain_tool(name)
    add_our_flags(tool, name)
    stock_parse_args, stock_merge_args = tool.parse_args, tool.merge_args

    def parse_args():
        args = stock_parse_args()
        if not osp.isfile(args.config):
            raise ConfigError(f'config {args.config}: no such file')
        return args

    def merge_args(cfg, args):
        cfg = adapt_cfg_to_machine(stock_merge_args(cfg, args))
        if getattr(args, 'tensorboard', False):
            add_tensorboard(cfg)
        add_fit_checks(cfg, partial_load=getattr(args, 'partial_load', False))
        check_component_args(cfg)
        for warning in ignored_options(cfg, args.cfg_options):
            print_log(warning, logger='current', level=logging.WARNING)
        start_cpu_process_group(cfg)
        return cfg

    # Replace the attributes that MMPretrain's tools/{train,test}.py main()
    # calls: parse_args, and merge_args, between parsing and building the
    # Runner: the one point where the config is final and nothing is built
    # yet. The least bad choice: a launcher that called main() could not
    # reach the merged config (the tool parses sys.argv and builds the
    # Runner in one function), and a config pre-processing step would miss
    # the command-line options (canary: test_upstream_contract).
    tool.parse_args, tool.merge_args = parse_args, merge_args
    exit_on_input_error(name, tool.main)
    # Tear the process group down, all ranks together, before the
    # interpreter exits: a gloo group left to die with the process can abort
    # it ("terminate called without an active exception") after a finished
    # run.
    # Free the runner's objects (FSDP keeps references to the group in
    # reference cycles) before that.
    gc.collect()
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
