# MMDeploy: an extracted branch (tools/extract_branch.py) to ONNX for
# onnxruntime, fixed input shape (the shape of the example image after the
# branch's test pipeline). Use with tools/deploy.py.
codebase_config = dict(type='mmpretrain', task='Classification')
backend_config = dict(type='onnxruntime')
onnx_config = dict(
    type='onnx',
    export_params=True,
    keep_initializers_as_inputs=False,
    opset_version=11,
    save_file='end2end.onnx',
    input_names=['input'],
    output_names=['output'],
    input_shape=None,
    optimize=True)
