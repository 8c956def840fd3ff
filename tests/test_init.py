"""What ``import vpl_mm`` changes for a config that is not ours: nothing in
how MMEngine runs it, but the global changes named in vpl_mm/__init__.py."""
import copy

import torch
from mmengine.config import Config
from mmengine.runner import Runner
from tiny_models import TINY_CNN

import vpl_mm  # noqa: F401


def test_an_unrelated_config_runs_as_without_vpl_mm(tmp_path):
    cfg = Config(
        dict(
            model=copy.deepcopy(TINY_CNN),
            work_dir=str(tmp_path),
            default_scope='mmpretrain',
            log_level='WARNING'))
    runner = Runner.from_cfg(cfg)
    modules = {type(h).__module__.split('.')[0] for h in runner.hooks}
    assert modules == {'mmengine'}  # no hook of ours slipped in
    # MMEngine's non-strict load: a checkpoint that does not fit the model
    # still loads what fits (our configs refuse it: CheckpointFitHook)
    path = str(tmp_path / 'partial.pth')
    state = {
        k: v
        for k, v in runner.model.state_dict().items() if 'head' not in k
    }
    torch.save(dict(state_dict=state), path)
    runner.load_checkpoint(path)
