# As classification_onnxruntime_static.py, with a dynamic batch size.
_base_ = ['./classification_onnxruntime_static.py']
onnx_config = dict(dynamic_axes=dict(input={0: 'batch'}, output={0: 'batch'}))
