"""Sizing an ImageNet pair config without a GPU: what a job will need per GPU.

Measured here, on CPU:

1. Each branch's parameters and FLOPs at 224x224 (MMEngine's counter, as
   ``tools/analysis/get_flops.py``: multiply-adds of backbone + neck; it
   skips ``scaled_dot_product_attention``, so the ViT's attention products
   are added by hand, 2 x layers x tokens^2 x width).
2. The bytes autograd keeps for the backward pass per image (fp32): the
   saved tensors of one training forward of the pair (``mode='loss'``, both
   PLM terms on) at a small batch, divided by the batch. (On CPU the
   attention saves its probability matrices; a GPU's fused attention
   kernels save less.)
3. The bytes of the parameter states: weights, gradients, AdamW's two
   moments and the EMA copy, 5 x 4 bytes per parameter.

Estimated from them (labelled so): per-GPU memory at the config's batch
(activations x batch + states; the allocator's caching, cuDNN workspaces
and the CUDA context come on top) and the step time from published
single-GPU training throughputs of the two branches
(:data:`benchmarks.pipeline.GPU_THROUGHPUTS`), the pair's step taken as the
CNN's + the ViT's (measured on CPU: ``benchmarks/results/speed.md``, the
pair step is 1.01x the two solo steps).

Writes ``sizing_<config name>.json`` and ``.md`` to ``--out``.

Usage::

    python -m benchmarks.sizing [--config configs/vpl_r50_vitb_in1k.py]
        [--batch 2] [--out benchmarks/results]
"""
import argparse
import json
import os.path as osp

import torch

from vpl_mm.models.utils import set_training_progress
from .pipeline import GPU_THROUGHPUTS
from .speed import build, make_batch

IMAGENET_TRAIN = 1281167


def branch_flops(model, size: int) -> dict:
    """MACs of each branch's ``extract_feat`` at ``size``, with the ViT's
    attention products that the counter skips."""
    from mmengine.analysis import get_model_complexity_info
    out = {}
    for name in ('cnn', 'trans'):
        branch = model.branch(name).eval()  # as get_flops.py counts
        branch.forward = branch.extract_feat
        info = get_model_complexity_info(branch, (3, size, size))
        branch.train()
        macs = info['flops']
        backbone = branch.backbone
        if hasattr(backbone, 'layers') and hasattr(backbone, 'patch_embed'):
            tokens = backbone.patch_resolution[0] * \
                backbone.patch_resolution[1] + backbone.num_extra_tokens
            macs += 2 * len(backbone.layers) * tokens**2 * \
                backbone.embed_dims
        out[name] = dict(
            params=sum(p.numel() for p in branch.parameters()), macs=macs)
        del branch.forward
    return out


def saved_bytes_per_image(model, size: int, batch: int) -> float:
    """Bytes of the tensors autograd saves for backward in one training
    forward of ``batch`` images (each storage once), per image."""
    data = model.data_preprocessor(
        make_batch(size, batch, model.cnn.head.num_classes), True)
    seen = {}

    def pack(t):
        if t.device.type == 'cpu' and t.untyped_storage().nbytes():
            storage = t.untyped_storage()
            seen[storage.data_ptr()] = storage.nbytes()
        return t

    params = {p.untyped_storage().data_ptr() for p in model.parameters()}
    set_training_progress(0, 1)  # a run's first iteration
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        model(**data, mode='loss')
    return sum(n for ptr, n in seen.items() if ptr not in params) / batch


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--config', default='configs/vpl_r50_vitb_in1k.py')
    parser.add_argument('--batch', type=int, default=2)
    parser.add_argument('--out', default='benchmarks/results')
    args = parser.parse_args(argv)
    from .common import load_cfg
    cfg = load_cfg(args.config)
    size = cfg.model.trans.backbone.img_size
    per_gpu = cfg.train_dataloader.batch_size
    torch.manual_seed(0)
    model, _ = build(args.config, 'cpu')
    flops = branch_flops(model, size)
    act = saved_bytes_per_image(model, size, args.batch)
    params = sum(p.numel() for p in model.parameters())
    states = 5 * 4 * params
    memory = act * per_gpu + states
    steps = {
        card: per_gpu / rates['cnn'] + per_gpu / rates['trans']
        for card, rates in GPU_THROUGHPUTS.items()
    }
    result = dict(
        config=args.config,
        size=size,
        batch_per_gpu=per_gpu,
        measured_batch=args.batch,
        flops=flops,
        params=params,
        saved_bytes_per_image=act,
        state_bytes=states,
        estimate_memory_bytes=memory,
        estimate_step_s=steps)
    name = osp.splitext(osp.basename(args.config))[0]
    gib = 2**30
    lines = [
        f'### Sizing {args.config} (CPU measurements, GPU estimates)', '',
        f'Command: `python -m benchmarks.sizing --config {args.config} '
        f'--batch {args.batch}`', '',
        '| branch | params | GMACs per image (224², forward) |',
        '|---|---|---|',
        *(f'| {b} | {f["params"] / 1e6:.2f} M | {f["macs"] / 1e9:.2f} |'
          for b, f in flops.items()), '',
        f'Measured: {act / 2**20:.1f} MiB of saved activations per image '
        f'(fp32, a training forward of the pair at batch {args.batch}); '
        f'{params / 1e6:.1f} M parameters, {states / gib:.2f} GiB of '
        'weights + gradients + AdamW moments + EMA (fp32).', '',
        f'**Estimate**, {per_gpu} images per GPU: '
        f'{memory / gib:.1f} GiB per GPU (activations x batch + states; '
        'plus the allocator\'s cache, cuDNN workspaces, CUDA context).', '',
        '| **estimated** step time per GPU (CNN + ViT, published '
        'throughputs) | s per step | epoch on 16 GPUs | 300 epochs |',
        '|---|---|---|---|',
        *(f'| {card} | {s:.2f} | '
          f'{s * IMAGENET_TRAIN / (16 * per_gpu) / 60:.1f} min | '
          f'{s * IMAGENET_TRAIN / (16 * per_gpu) * 300 / 3600:.0f} h |'
          for card, s in steps.items())
    ]
    with open(osp.join(args.out, f'sizing_{name}.json'), 'w') as f:
        json.dump(result, f, indent=1)
    with open(osp.join(args.out, f'sizing_{name}.md'), 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))


if __name__ == '__main__':
    main()
