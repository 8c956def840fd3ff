# MMPretrain's default runtime with vpl_mm registered, shared by every config
# of ours (the paper's through vpl_runtime.py, the demo's through digits.py).
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['vpl_mm'], allow_failed_imports=False)
# Checks that travel with the config, whichever tool builds the Runner (ours,
# MMPretrain's tools/train.py and test.py, `mim`, Runner.from_cfg): a
# checkpoint or data that does not fit the model is refused before it is
# used, and SIGTERM / SIGUSR1 save the iteration in flight and stop the run
# (vpl_mm/engine/hooks). `default_hooks.<name>=None` switches one off.
default_hooks = dict(
    checkpoint_fit=dict(type='CheckpointFitHook'),
    data_fit=dict(type='DataFitHook'),
    preemption=dict(type='PreemptionHook'))
# the base's visualizer without the `_scope_` its `mmpretrain::` origin adds,
# which MMPretrain's browse_dataset.py passes on to the visualizer's __init__
visualizer = dict(
    _delete_=True,
    type='UniversalVisualizer',
    vis_backends=[dict(type='LocalVisBackend')])
