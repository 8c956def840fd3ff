"""An extracted branch to ONNX through MMDeploy, checked with onnxruntime."""
import copy
import functools
import inspect
import os.path as osp
from contextlib import contextmanager
from typing import Dict, Optional, Union

import numpy as np
import torch
import torch.nn.functional as F


@contextmanager
def torchscript_onnx_exporter():
    """Make ``torch.onnx.export`` use the TorchScript exporter.

    MMDeploy 1.3.1 calls ``torch.onnx.export`` without ``dynamo``; since
    torch 2.9 that selects the dynamo exporter, which needs ``onnxscript`` and
    does not run MMDeploy's rewriters. Inside this context the call gets
    ``dynamo=False``; the original function is restored on exit.
    """
    original = torch.onnx.export
    if 'dynamo' in inspect.signature(original).parameters:
        torch.onnx.export = functools.partial(original, dynamo=False)
    try:
        yield
    finally:
        torch.onnx.export = original


# The classification heads that MMDeploy 1.3.1's C++ SDK post-processes
# (its csrc/mmdeploy/codebase/mmcls registers these three and no other).
SDK_HEADS = ('LinearClsHead', 'ConformerHead', 'MultiLabelLinearClsHead')


def _example_image(img: Optional[Union[str, np.ndarray]], img_size: int,
                   model_cfg) -> Union[str, np.ndarray]:
    """``img``, or a random ``img_size`` square image with as many channels
    as the branch's data preprocessor normalises (1 for Fashion-MNIST)."""
    if img is not None:
        return img
    mean = (model_cfg.model.get('data_preprocessor') or {}).get('mean')
    channels = len(mean) if mean else 3
    rng = np.random.RandomState(0)
    return rng.randint(0, 256, (img_size, img_size, channels), dtype=np.uint8)


def sdk_model_config(model_cfg):
    """A copy of ``model_cfg`` for MMDeploy's SDK meta, in which a
    single-label head that the SDK does not know is named ``LinearClsHead``.

    MMDeploy exports a single-label classifier's softmax scores whatever its
    head (its rewrite of ``BaseClassifier.forward``), and the SDK's
    ``LinearClsHead`` post-processing is the top-k of those scores. MMDeploy's
    own ``Classification.get_postprocess`` renames ``EfficientFormerClsHead``
    and ``StackedLinearClsHead`` so; this mirrors it for the other heads
    (``DeiTClsHead``, a ``VisionTransformerClsHead`` with ``hidden_dim``),
    which the SDK would refuse to post-process. Multi-label heads are kept.

    Example:
        >>> from mmengine.config import Config
        >>> cfg = Config(dict(model=dict(head=dict(type='DeiTClsHead'))))
        >>> sdk_model_config(cfg).model.head.type, cfg.model.head.type
        ('LinearClsHead', 'DeiTClsHead')
    """
    from mmpretrain.models.heads import ClsHead
    from mmpretrain.registry import MODELS
    cfg = copy.deepcopy(model_cfg)
    head = cfg.model.head
    cls = MODELS.get(head.type)
    if (head.type not in SDK_HEADS and isinstance(cls, type)
            and issubclass(cls, ClsHead)):
        head.type = 'LinearClsHead'
    return cfg


def check_branch_checkpoint(model_cfg, checkpoint: str) -> None:
    """Refuse, before MMDeploy loads it non-strictly, a checkpoint that is
    no readable checkpoint, does not fit the branch's stock model, or holds
    NaN / inf weights.

    Raises:
        CheckpointError: naming the file and what is wrong.
    """
    from mmengine.registry import DefaultScope
    from mmpretrain.registry import MODELS

    from vpl_mm.utils.checkpoint import check_fits, read_checkpoint
    ckpt = read_checkpoint(checkpoint)
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        expected = MODELS.build(copy.deepcopy(model_cfg.model)).state_dict()
    check_fits(
        ckpt.get('state_dict', ckpt), expected, checkpoint,
        f'the model of {getattr(model_cfg, "filename", "the config")}')


def deploy_onnx(deploy_cfg: str,
                model_cfg: str,
                checkpoint: str,
                work_dir: str,
                img: Optional[Union[str, np.ndarray]] = None,
                img_size: int = 224,
                batch: int = 2,
                device: str = 'cpu') -> Dict[str, object]:
    """Export with MMDeploy, write the SDK meta (its head named as
    :func:`sdk_model_config` says), compare onnxruntime with PyTorch.

    Args:
        deploy_cfg (str): MMDeploy deploy config, e.g.
            ``configs/deploy/classification_onnxruntime_static.py``.
        model_cfg (str): Config of an extracted branch.
        checkpoint (str): Its checkpoint.
        work_dir (str): Output folder: ``end2end.onnx`` and MMDeploy's
            ``pipeline.json``, ``deploy.json``, ``detail.json``.
        img (str | np.ndarray, optional): Example image. Defaults to a random
            ``img_size`` square image.
        img_size (int): Side of the random example image. Defaults to 224.
        batch (int): Batch size for the extra check of a dynamic-batch model.
            Defaults to 2.
        device (str): Device for PyTorch. Defaults to ``'cpu'``.

    Raises:
        CheckpointError: see :func:`check_branch_checkpoint`; nothing is
            exported.

    Returns:
        dict: ``onnx`` (path), ``max_diff`` (max ``|onnxruntime - PyTorch|`` of
        the softmax scores MMDeploy exports, over every check) and
        ``batches`` (the batch sizes checked).
    """
    import onnxruntime as ort
    from mmdeploy.apis import build_task_processor, torch2onnx
    from mmdeploy.backend.sdk.export_info import export2SDK
    from mmdeploy.utils import get_dynamic_axes, get_input_shape, load_config

    deploy, model = load_config(deploy_cfg, model_cfg)
    check_branch_checkpoint(model, checkpoint)
    image = _example_image(img, img_size, model)
    save_file = deploy.onnx_config.save_file
    with torchscript_onnx_exporter():
        torch2onnx(image, work_dir, save_file, deploy, model, checkpoint,
                   device)
    # export2SDK edits the model config it is given (pops head.type)
    export2SDK(
        deploy,
        sdk_model_config(model),
        work_dir,
        pth=checkpoint,
        device=device)
    onnx_path = osp.join(work_dir, save_file)

    processor = build_task_processor(model, deploy, device)
    torch_model = processor.build_pytorch_model(checkpoint).eval()
    _, inputs = processor.create_input(
        image,
        get_input_shape(deploy),
        data_preprocessor=torch_model.data_preprocessor)
    if isinstance(inputs, (list, tuple)):
        inputs = inputs[0]
    checks = [inputs]
    if get_dynamic_axes(deploy) and batch > 1:
        g = torch.Generator().manual_seed(0)
        checks.append(
            inputs.repeat(batch, 1, 1, 1) +
            torch.randn((batch, ) + tuple(inputs.shape[1:]), generator=g))
    session = ort.InferenceSession(
        onnx_path, providers=['CPUExecutionProvider'])
    input_name = session.get_inputs()[0].name
    max_diff = 0.
    for x in checks:
        with torch.no_grad():
            expected = F.softmax(torch_model(x, mode='tensor'), dim=1)
        got = session.run(None, {input_name: x.cpu().numpy()})[0]
        max_diff = max(max_diff,
                       float(np.abs(got - expected.cpu().numpy()).max()))
    return dict(
        onnx=onnx_path,
        max_diff=max_diff,
        batches=[int(x.shape[0]) for x in checks])
