import socket
import subprocess
import sys

import pytest
import torch
from mmengine.config import Config

import vpl_mm  # noqa: F401
from vpl_mm.utils import adapt_cfg_to_machine, start_cpu_process_group


def make_cfg(**kwargs):
    cfg = dict(
        launcher='none',
        optim_wrapper=dict(
            type='AmpOptimWrapper',
            loss_scale='dynamic',
            optimizer=dict(type='AdamW', lr=1e-3)),
        train_dataloader=dict(num_workers=0, persistent_workers=True),
        val_dataloader=dict(num_workers=2, persistent_workers=True))
    cfg.update(kwargs)
    return Config(cfg)


def test_no_persistent_workers_without_workers():
    cfg = adapt_cfg_to_machine(make_cfg())
    assert cfg.train_dataloader.persistent_workers is False
    assert cfg.val_dataloader.persistent_workers is True


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_amp_becomes_bf16_on_cpu():
    cfg = adapt_cfg_to_machine(make_cfg())
    assert cfg.optim_wrapper.type == 'CPUAmpOptimWrapper'
    assert cfg.optim_wrapper.dtype == 'bfloat16'
    assert 'loss_scale' not in cfg.optim_wrapper
    # and the result builds
    from mmpretrain.registry import OPTIM_WRAPPERS
    model = torch.nn.Linear(2, 2)
    optimizer = torch.optim.AdamW(model.parameters())
    wrapper = OPTIM_WRAPPERS.build(
        dict(cfg.optim_wrapper, optimizer=optimizer))
    assert type(wrapper) is OPTIM_WRAPPERS.get('CPUAmpOptimWrapper')


def test_single_process_config_is_left_alone():
    cfg = adapt_cfg_to_machine(
        make_cfg(optim_wrapper=dict(type='OptimWrapper')))
    assert 'model_wrapper_cfg' not in cfg
    assert cfg.optim_wrapper.type == 'OptimWrapper'


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
def test_the_process_group_is_started_apart_from_the_config(monkeypatch):
    import torch.distributed as dist
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    for key, value in dict(
            MASTER_ADDR='127.0.0.1',
            MASTER_PORT=str(port),
            RANK='0',
            WORLD_SIZE='1').items():
        monkeypatch.setenv(key, value)
    cfg = adapt_cfg_to_machine(make_cfg(launcher='pytorch'))
    # the config transform builds CPU DDP and starts nothing
    assert cfg.model_wrapper_cfg.device_ids is None
    assert not dist.is_initialized()
    assert not start_cpu_process_group(make_cfg())  # launcher 'none'
    try:
        assert start_cpu_process_group(cfg)
        assert dist.get_backend() == 'gloo' and dist.get_world_size() == 1
        assert not start_cpu_process_group(cfg)  # started already
    finally:
        dist.destroy_process_group()


PROBE = '''
import sys
import torch
from vpl_mm.utils import keep_freed_memory
if sys.argv[1] == "tuned":
    assert keep_freed_memory()
def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096
base = rss()
t = torch.empty(16 * 2**20, dtype=torch.uint8)
t.fill_(1)  # touch the pages
del t
print(rss() - base)
'''


@pytest.mark.skipif(
    not sys.platform.startswith('linux'), reason='glibc and /proc are Linux')
def test_freed_activations_stay_in_the_process():

    def kept(mode):
        out = subprocess.run([sys.executable, '-c', PROBE, mode],
                             capture_output=True,
                             text=True,
                             check=True)
        return int(out.stdout.split()[-1]) / 2**20

    # stock glibc unmaps a freed 16 MiB block (the next step faults it in
    # again); tuned, it stays for reuse
    assert kept('stock') < 4
    assert kept('tuned') > 12
