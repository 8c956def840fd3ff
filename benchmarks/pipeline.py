"""The paper's ImageNet training pipeline, timed on real JPEG photos.

At ImageNet's typical 500x375: the loader's images/s (no model) and one
epoch of the R50 + ViT-B/16 pair vs each solo's, each run with its own
loader, and the epoch ratio projected to GPUs from published throughputs
(:func:`project_epoch_ratio`). The model step is ``benchmarks.speed``'s
(same builds and alternation). Writes ``speed_imagenet.{json,md}`` to
``--out``.

Usage::

    python -m benchmarks.pipeline [--workers N] [--pipeline-batch 8] \\
        [--pipeline-batches 12] [--epoch-rounds 2]
"""
import argparse
import os
import os.path as osp
import time

from .common import load_cfg, photos
from .speed import (SETTINGS, add_machine_args, machine, time_epochs,
                    tune_malloc, write)


def make_photo_folder(root: str,
                      num_images: int,
                      num_classes: int = 10,
                      size=(500, 375),
                      seed: int = 0) -> str:
    """An ImageNet-like folder of real JPEG photos: ``root/class_k/*.JPEG``.

    Each file is a random crop (60-100 % of the area, random flip) of one of
    scikit-image's bundled photos (:func:`benchmarks.common.photos`),
    resized to ``size`` (ImageNet's typical 500x375; every third one
    portrait) and saved at JPEG quality 90, so decoding costs what an
    ImageNet file costs. Files already there are kept.
    """
    import numpy as np
    from PIL import Image
    rng = np.random.default_rng(seed)
    images = photos()
    for i in range(num_images):
        path = osp.join(root, f'class_{i % num_classes}', f'{i:06d}.JPEG')
        if osp.exists(path):
            continue
        img = images[i % len(images)]
        h, w = img.shape[:2]
        area = rng.uniform(0.6, 1.0)
        ch, cw = int(h * area**0.5), int(w * area**0.5)
        y, x = rng.integers(0, h - ch + 1), rng.integers(0, w - cw + 1)
        crop = img[y:y + ch, x:x + cw]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        out = size if i % 3 else size[::-1]
        os.makedirs(osp.dirname(path), exist_ok=True)
        Image.fromarray(np.ascontiguousarray(crop)).resize(out,
                                                           Image.BICUBIC).save(
                                                               path,
                                                               quality=90)
    return root


def photo_loader(config: str,
                 root: str,
                 batch_size: int,
                 num_workers: int,
                 num_images: int,
                 seed: int = 0):
    """The config's training dataloader (its pipeline, sampler and
    collate) over the first ``num_images`` files of the photo folder."""
    from mmengine.runner import Runner
    cfg = load_cfg(config)
    loader_cfg = cfg.train_dataloader.copy()
    loader_cfg.update(
        batch_size=batch_size,
        num_workers=num_workers,
        persistent_workers=False)
    loader_cfg.dataset = dict(
        type='CustomDataset',
        data_root=root,
        indices=num_images,
        pipeline=cfg.train_dataloader.dataset.pipeline)
    return Runner.build_dataloader(loader_cfg, seed=seed)


def loader_rate(loader, batches: int) -> float:
    """Images per second of the first ``batches`` batches of a fresh
    iteration, the workers' start included (as at each epoch's start)."""
    start, images = time.perf_counter(), 0
    for _, data in zip(range(batches), loader):
        images += len(data['inputs'])
    return images / (time.perf_counter() - start)


def pipeline_times(args) -> dict:
    """The paper's ImageNet training pipeline on real JPEG photos:

    1. the loader's images/s, no model: in the main process (0 workers:
       what one worker computes, without prefetching or inter-process
       copies) and with ``--workers`` workers;
    2. one epoch of the R50 + ViT-B/16 pair vs each solo's epoch, each
       run with its own loader (as two separate runs would have), the
       epochs alternated (1 warm-up round, ``--epoch-rounds`` timed).
    """
    configs = SETTINGS['r50_vitb'][2]
    batch, batches = args.pipeline_batch, args.pipeline_batches
    root = make_photo_folder(osp.abspath(args.photo_root), batch * 2 * batches)
    rates = {}
    for workers in sorted({0, args.workers}):
        loader = photo_loader(configs['pair'], root, batch, workers,
                              batch * 2 * batches)
        rates[workers] = loader_rate(loader, 2 * batches)
    loaders = {
        name:
        photo_loader(configs[name], root, batch, args.workers, batch * batches)
        for name in ('pair', 'cnn', 'trans')
    }
    return dict(
        batch_size=batch,
        batches=batches,
        workers=args.workers,
        loader_img_s=rates,
        **time_epochs(loaders, configs, args))


# Published single-GPU training throughputs (images/s) of the two branches,
# one source and card for both so their ratio is like for like.
GPU_THROUGHPUTS = {
    # timm's benchmark, RTX 3090, AMP, PyTorch 1.12 (train batch 512 / 192):
    # huggingface/pytorch-image-models, results/benchmark-train-amp-nchw-
    # pt112-cu113-rtx3090.csv (rows resnet50, vit_base_patch16_224)
    'RTX 3090 AMP (timm)':
    dict(cnn=826.06, trans=390.86),
    # the paper, the paragraph after Table 3: one epoch of ImageNet-1k
    # (1,281,167 images) on 16 V100s took 5 min (R50) and 15.33 min (ViT-B),
    # loading included: 267 and 87 images/s per GPU
    'V100, the paper\'s epochs':
    dict(cnn=1281167 / (5 * 60) / 16, trans=1281167 / (15.33 * 60) / 16),
}


def project_epoch_ratio(loader_img_s: float, cnn_img_s: float,
                        trans_img_s: float) -> float:
    """Pair / (CNN solo + ViT solo) epoch when the loader (``loader_img_s``
    per GPU, its workers running beside the GPU) and the model steps
    overlap perfectly: each run takes the longer of its loading and its
    model time per image; the pair's model time is the two solos' sum (the
    pair step measured 1.01x the two solo steps: ``--settings``)."""
    load = 1 / loader_img_s
    cnn, trans = 1 / cnn_img_s, 1 / trans_img_s
    return max(load, cnn + trans) / (max(load, cnn) + max(load, trans))


PROJECTED_WORKERS = (1, 2, 3, 4, 5, 8)


def pipeline_report(p: dict) -> str:
    per_worker = p['loader_img_s'][0]
    lines = [
        f'### ImageNet training pipeline on real JPEG photos (500x375), '
        f'R50 + ViT-B/16, batch {p["batch_size"]}', '',
        '| loader workers | images/s (loader alone, worker start included) |',
        '|---|---|'
    ] + [f'| {w} | {r:.1f} |' for w, r in p['loader_img_s'].items()] + [
        '', f'Epoch of {p["batches"]} batches, {p["workers"]} workers per '
        'run:', '', '| run | epoch (s, median) |', '|---|---|'
    ] + [f'| {k} | {v:.2f} |' for k, v in p['epoch_s'].items()] + [
        '', f'pair / (CNN + ViT) epoch: {p["epoch_pair_vs_solos"]:.3f}', '',
        f'Projected pair / (CNN + ViT) epoch on a GPU, loader = workers x '
        f'{per_worker:.1f} images/s (0 workers above: one worker\'s work), '
        'each run taking the longer of its loading and its GPU time:', '',
        '| workers per GPU | ' + ' | '.join(GPU_THROUGHPUTS) + ' |',
        '|---|' + '---|' * len(GPU_THROUGHPUTS)
    ]
    for w in PROJECTED_WORKERS:
        lines.append(f'| {w} | ' + ' | '.join(
            f'{project_epoch_ratio(w * per_worker, g["cnn"], g["trans"]):.3f}'
            for g in GPU_THROUGHPUTS.values()) + ' |')
    return '\n'.join(lines + [''])


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_machine_args(parser)
    parser.add_argument(
        '--epoch-rounds', type=int, default=3, help='timed epochs of each run')
    parser.add_argument(
        '--photo-root',
        default='data/photos_500x375',
        help='folder of the photos '
        '(made if missing)')
    parser.add_argument('--pipeline-batch', type=int, default=8)
    parser.add_argument(
        '--pipeline-batches',
        type=int,
        default=12,
        help='batches per timed epoch (the loader alone is '
        'timed over twice as many)')
    parser.add_argument(
        '--workers',
        type=int,
        default=os.cpu_count(),
        help='dataloader workers per run')
    parser.add_argument('--out', default='benchmarks/results')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    tune_malloc(args)
    os.makedirs(args.out, exist_ok=True)
    print('timing the ImageNet pipeline ...', flush=True)
    results = dict(
        machine=machine(args.device),
        args=vars(args),
        imagenet=pipeline_times(args))
    write(
        results, args.out, 'speed_imagenet',
        f'Machine: {results["machine"]}\n\n' +
        pipeline_report(results['imagenet']))


if __name__ == '__main__':
    main()
