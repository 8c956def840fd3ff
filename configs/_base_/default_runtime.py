# MMPretrain's default runtime with vpl_mm registered, shared by every config
# of ours (the paper's through vpl_runtime.py, the demo's through digits.py).
_base_ = ['mmpretrain::_base_/default_runtime.py']
custom_imports = dict(imports=['vpl_mm'], allow_failed_imports=False)
# the base's visualizer without the `_scope_` its `mmpretrain::` origin adds,
# which MMPretrain's browse_dataset.py passes on to the visualizer's __init__
visualizer = dict(
    _delete_=True,
    type='UniversalVisualizer',
    vis_backends=[dict(type='LocalVisBackend')])
