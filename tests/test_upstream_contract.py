"""Canaries on the MMEngine / MMPretrain / torch internals that vpl_mm
overrides or relies on. After an upgrade these fail first, each naming what
in vpl_mm to re-check; the last test shows that they can fail."""
import inspect

import pytest
import torch


def _signature(obj, name):
    return list(inspect.signature(getattr(obj, name)).parameters)


def checkpoint_hook():
    from mmengine.hooks import CheckpointHook
    assert _signature(CheckpointHook, '_save_checkpoint_with_step') == [
        'self', 'runner', 'step', 'meta'
    ]


def iter_loop_iterator():
    from mmengine.runner.loops import IterBasedTrainLoop
    assert 'self.dataloader_iterator' in inspect.getsource(
        IterBasedTrainLoop.__init__)
    assert 'self.dataloader_iterator' in inspect.getsource(
        IterBasedTrainLoop.run)


def message_hub_scalars():
    from mmengine.logging import MessageHub
    assert isinstance(MessageHub.__dict__['log_scalars'], property)


def fsdp_strategy():
    from mmengine._strategy import FSDPStrategy
    assert _signature(FSDPStrategy,
                      '_init_state_dict_cfg') == ['self', 'state_dict_cfg']
    assert _signature(FSDPStrategy,
                      'load_optim_state_dict') == ['self', 'state_dict']
    assert 'optim_state_dict_to_load' in inspect.getsource(
        FSDPStrategy.load_optim_state_dict)
    from torch.distributed.fsdp import FullyShardedDataParallel as FSDP
    assert _signature(FSDP, 'optim_state_dict_to_load')[:3] == [
        'model', 'optim', 'optim_state_dict'
    ]


def accumulative_counts():
    from mmengine.optim import OptimWrapper
    wrapper = OptimWrapper(
        torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=1.),
        accumulative_counts=3)
    assert wrapper._accumulative_counts == 3


def mmdeploy_sdk_head():
    # the SDK meta's post-processing component is the head's type, renamed
    # to LinearClsHead for two heads only
    from mmdeploy.backend.sdk import export_info
    from mmdeploy.codebase.mmpretrain.deploy.classification import \
        Classification
    source = inspect.getsource(Classification.get_postprocess)
    assert "'StackedLinearClsHead'" in source
    assert "postprocess['type'] = 'LinearClsHead'" in source
    assert "component=post_processor['type']" in inspect.getsource(
        export_info.get_postprocess)


def cls_head_get_loss():
    from mmpretrain.models.heads import ClsHead
    assert _signature(
        ClsHead, '_get_loss')[:3] == ['self', 'cls_score', 'data_samples']


def deit_head_layers():
    from mmpretrain.models.heads import DeiTClsHead
    head = DeiTClsHead(num_classes=3, in_channels=4)
    names = [name for name, _ in head.layers.named_children()]
    assert names == ['head', 'head_dist']
    tokens = (torch.zeros(1, 4), torch.ones(1, 4))
    assert all(a is b for a, b in zip(head.pre_logits([tokens]), tokens))


def tool_merge_args():
    from vpl_mm.utils.launch import load_mmpretrain_tool
    for name in ('train', 'test'):
        tool = load_mmpretrain_tool(name)
        assert _signature(tool, 'merge_args') == ['cfg', 'args']
        assert _signature(tool, 'parse_args') == []
        source = inspect.getsource(tool.main)
        assert 'merge_args(cfg, args)' in source
        assert 'args = parse_args()' in source
        assert source.index('parse_args()') < source.index('Config.fromfile')
        # the parser is built from the module's argparse, in parse_args()
        assert 'argparse.ArgumentParser(' in inspect.getsource(tool.parse_args)


def get_flops_tool():
    from vpl_mm.utils.launch import load_mmpretrain_tool
    tool = load_mmpretrain_tool('analysis_tools/get_flops')
    source = inspect.getsource(tool.main)
    assert 'model = get_model(args.config)' in source
    assert 'get_model_complexity_info(' in source
    assert 'args = parse_args()' in source


def collect_results_drops_none():
    from mmengine.dist import collect_results_cpu
    source = inspect.getsource(collect_results_cpu)
    assert 'if i is not None' in source and 'ordered_results[:size]' in source


def batchnorm_tracking():
    bn = torch.nn.BatchNorm1d(2).train()
    bn.track_running_stats = False
    bn(torch.randn(4, 2))
    assert int(bn.num_batches_tracked) == 0
    assert torch.equal(bn.running_mean, torch.zeros(2))


def ema_hook_on_origin():
    from mmpretrain.engine.hooks import EMAHook
    assert 'evaluate_on_origin' in _signature(EMAHook, '__init__')
    source = inspect.getsource(EMAHook.after_val_epoch)
    assert 'val_loop.run_iter' in source and '_origin' in source


def ema_hook_load_from():
    from mmengine.hooks import EMAHook as MMEngineEMAHook
    from mmpretrain.engine.hooks import EMAHook
    assert 'runner._resume' in inspect.getsource(
        MMEngineEMAHook.after_load_checkpoint)
    # MMPretrain 1.2 loads ema_state_dict for load_from too (docs/upstream.md
    # 4); when this fails, upstream may have fixed it
    assert 'runner._resume' not in inspect.getsource(
        EMAHook.after_load_checkpoint)


def optim_context_before_parse_losses():
    from mmengine.model import BaseModel, MMDistributedDataParallel
    for model in (BaseModel, MMDistributedDataParallel):
        source = inspect.getsource(model.train_step)
        assert 'optim_wrapper.optim_context(self)' in source
        assert source.index('optim_wrapper.optim_context(self)') < (
            source.rindex('.parse_losses(losses)'))


def local_checkpoint_scheme():
    # every local checkpoint read goes through the loader of prefix '',
    # which vpl_mm replaces; Runner.load_checkpoint calls the hooks'
    # after_load_checkpoint before loading, with runner._load_from set
    from mmengine.runner import Runner
    from mmengine.runner.checkpoint import CheckpointLoader

    from vpl_mm.utils import load_checkpoint_file
    assert CheckpointLoader._schemes[''] is load_checkpoint_file
    source = inspect.getsource(Runner.load_checkpoint)
    assert source.index("call_hook('after_load_checkpoint'") < source.index(
        '_load_checkpoint_to_model(')
    assert 'self._load_from' in inspect.getsource(Runner.load_or_resume)


def config_package_lookup():
    # `pkg::folder/file.py` bases: the fixed package list, and the lookup
    # of the installed folder as mmengine/config/config.py calls it
    import mmengine.config.config as config
    from mmengine.config.utils import (MODULE2PACKAGE,
                                       _get_external_cfg_base_path)
    assert MODULE2PACKAGE.get('vpl_mm') == 'vpl_mm'
    assert getattr(config.get_installed_path, 'vpl_mm', False)
    assert 'get_installed_path(package)' in inspect.getsource(
        config.Config._get_cfg_path)
    assert "'.mim', 'configs'" in inspect.getsource(
        _get_external_cfg_base_path)


# (check, the upstream name, what in vpl_mm to re-check)
CONTRACTS = [
    (checkpoint_hook, 'mmengine CheckpointHook._save_checkpoint_with_step',
     'vpl_mm/engine/hooks/safe_checkpoint_hook.py (delete-after-save order)'),
    (iter_loop_iterator, 'mmengine IterBasedTrainLoop.dataloader_iterator',
     'vpl_mm/engine/hooks/reseed_hook.py (per-iteration re-seeding)'),
    (message_hub_scalars, 'mmengine MessageHub.log_scalars',
     'vpl_mm/engine/hooks/stage_switch_hook.py (stale loss_cl/loss_kl)'),
    (fsdp_strategy, 'mmengine FSDPStrategy internals, torch '
     'FSDP.optim_state_dict_to_load', 'vpl_mm/engine/strategies/'
     'fsdp_strategy.py (resume argument order, state-dict config)'),
    (accumulative_counts, 'mmengine OptimWrapper._accumulative_counts',
     'vpl_mm/models/classifiers/dml_classifier.py (refuses accumulation)'),
    (cls_head_get_loss, 'mmpretrain ClsHead._get_loss',
     'vpl_mm/models/classifiers/two_branch_classifier.py (branch_loss)'),
    (deit_head_layers, 'mmpretrain DeiTClsHead (layers.head, layers.head_dist,'
     ' pre_logits -> both tokens)', 'vpl_mm/models/heads/dist_token_head.py '
     '(and the stock head vpl_mm.export writes for it)'),
    (tool_merge_args, "mmpretrain tools' parse_args(), merge_args(cfg, "
     "args)", 'vpl_mm/utils/launch.py (adapt_cfg_to_machine, '
     'add_our_flags, the config checks)'),
    (get_flops_tool, "mmpretrain tools/analysis_tools/get_flops.py main",
     'vpl_mm/cli.py (flops: the stock tool per branch)'),
    (collect_results_drops_none, 'mmengine collect_results_cpu',
     'vpl_mm/evaluation/metrics/real_accuracy.py (one result per image)'),
    (batchnorm_tracking, 'torch _BatchNorm.track_running_stats',
     'vpl_mm/models/classifiers/dml_classifier.py (frozen_norm_statistics)'),
    (ema_hook_on_origin, 'mmpretrain EMAHook(evaluate_on_origin)',
     'vpl_mm/engine/hooks/safe_ema_hook.py (raw weights via the val loop)'),
    (ema_hook_load_from, 'mmpretrain/mmengine EMAHook.after_load_checkpoint',
     'vpl_mm/engine/hooks/safe_ema_hook.py (load_from: MMEngine\'s way)'),
    (local_checkpoint_scheme, 'mmengine CheckpointLoader scheme \'\', '
     'Runner.load_checkpoint', 'vpl_mm/utils/checkpoint.py (one loader) and '
     'vpl_mm/engine/hooks/checkpoint_fit_hook.py (fit before loading)'),
    (config_package_lookup, 'mmengine MODULE2PACKAGE, get_installed_path '
     'in Config._get_cfg_path', 'vpl_mm/utils/config_lookup.py (vpl_mm:: '
     'bases)'),
    (mmdeploy_sdk_head, 'mmdeploy Classification.get_postprocess, '
     'export_info.get_postprocess',
     'vpl_mm/export/onnx.py (sdk_model_config)'),
    (optim_context_before_parse_losses,
     'mmengine BaseModel/MMDistributedDataParallel.train_step',
     'vpl_mm/engine/optimizers/nonfinite_optim_wrapper.py (the policy '
     'reaches the model in optim_context)'),
]


def check(contract):
    fn, upstream, recheck = contract
    try:
        fn()
    except (AssertionError, AttributeError, KeyError, ImportError, TypeError,
            ValueError) as e:
        raise AssertionError(
            f'upstream changed: {upstream} is not as vpl_mm expects '
            f'({type(e).__name__}: {e}). Re-check {recheck}.') from e


@pytest.mark.parametrize(
    'contract', CONTRACTS, ids=[c[0].__name__ for c in CONTRACTS])
def test_upstream_contract(contract):
    check(contract)


def test_a_missing_name_fails_with_what_to_recheck(monkeypatch):
    from mmengine.hooks import CheckpointHook
    monkeypatch.delattr(CheckpointHook, '_save_checkpoint_with_step')
    with pytest.raises(AssertionError) as info:
        check(CONTRACTS[0])
    message = str(info.value)
    assert 'CheckpointHook._save_checkpoint_with_step' in message
    assert 'Re-check vpl_mm/engine/hooks/safe_checkpoint_hook.py' in message
