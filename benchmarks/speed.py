"""Cost of a VPL pair vs its two solo branches and vs DML, side by side.

In one run, on the same batches, alternating the models within each round
(warm-up rounds excluded, medians over the rest):

1. Train-step time (data preprocessor, forward, backward, optimizer step;
   both PLM terms on, the most expensive stage) of the pair vs the CNN solo
   step + the ViT solo step, and of DML vs VPL, for ``demo`` (the demo pair,
   32x32, batch 64) and ``r50_vitb`` (ResNet-50 + ViT-B/16, 224x224, batch
   8). Targets: pair <= 1.00 x (CNN + ViT); DML / VPL >= 1.4 (the paper).
   With ``--compile``, also the pair with ``model.compile=True`` (its first
   step, the compilation, timed apart).
2. The PLM's share of the pair step: forward + backward of
   ``PairLearningHead.loss`` on embeddings of the real sizes, over the pair
   step. Target (``r50_vitb``): <= 1 %.
3. One epoch of the demo with data loading (the demo's dataloader over the
   real digits): pair vs CNN solo + ViT solo epochs. Target <= 0.95.
4. Peak memory of a few train steps of each model, each in a fresh process,
   above what the built model holds: growth of the peak RSS on CPU (Linux),
   ``torch.cuda.max_memory_allocated`` on a GPU. Gradients, optimizer states
   and activations count; so do one-time allocations of the first step
   (thread pools, kernels), the same for every model.

5. With ``--pipeline imagenet`` (instead of 1-4): the paper's ImageNet
   training pipeline on real JPEG photos at ImageNet's typical 500x375 -- the
   loader's images/s (no model) and one epoch of the R50 + ViT-B/16 pair vs
   each solo's, each run with its own loader -- and the epoch ratio projected
   to GPUs from published throughputs (:func:`project_epoch_ratio`); written
   to ``speed_imagenet.{json,md}``.

On CPU, glibc's allocator is tuned as ``tools/train.py`` tunes it
(:func:`vpl_mm.utils.keep_freed_memory`) unless ``--stock-malloc``.

Writes ``speed.json`` and ``speed.md`` to ``--out``.

Usage::

    python benchmarks/speed.py [--settings demo r50_vitb] [--device cpu]
        [--rounds 5] [--warmup 1] [--out benchmarks/results]
    python benchmarks/speed.py --pipeline imagenet [--workers N]
        [--pipeline-batch 8] [--pipeline-batches 12] [--epoch-rounds 2]
"""
import argparse
import json
import multiprocessing
import os
import os.path as osp
import platform
import statistics
import sys
import time

import torch

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
# setting: (image size, batch size, {model: config})
SETTINGS = {
    'demo': (32, 64, {
        'pair': 'configs/demo/vpl_tiny_digits.py',
        'cnn': 'configs/demo/solo_cnn_tiny_digits.py',
        'trans': 'configs/demo/solo_trans_tiny_digits.py',
        'dml': 'configs/demo/dml_tiny_digits.py',
    }),
    'r50_vitb': (224, 8, {
        'pair': 'configs/vpl_r50_vitb_in1k.py',
        'cnn': 'configs/baselines/solo_r50_16xb100_in1k.py',
        'trans': 'configs/baselines/solo_vitb_16xb100_in1k.py',
        'dml': 'configs/dml/dml_r50-vitb_16xb100_in1k.py',
    }),
}
TARGETS = dict(
    pair_vs_solos=1.00,
    dml_vs_vpl=1.4,
    plm_share=0.01,
    epoch_pair_vs_solos=0.95)


def load_cfg(config: str):
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope

    import vpl_mm  # noqa: F401  (registers our components)
    init_default_scope('mmpretrain')
    # quiet: no per-parameter optimizer lines
    MMLogger.get_instance('vpl_speed', log_level='WARNING')
    return Config.fromfile(osp.join(ROOT, config))


def build(config: str, device: str, **model_options):
    """Model and optim wrapper of a config, as MMEngine's Runner builds
    them (the top-level ``data_preprocessor`` goes into the model)."""
    from mmengine.optim import build_optim_wrapper
    from mmpretrain.registry import MODELS
    cfg = load_cfg(config)
    model_cfg = cfg.model.copy()
    model_cfg.update(model_options)
    if cfg.get('data_preprocessor') is not None:
        model_cfg.setdefault('data_preprocessor', cfg.data_preprocessor)
    model = MODELS.build(model_cfg)
    model.init_weights()
    model.to(device).train()
    return model, build_optim_wrapper(model, cfg.optim_wrapper)


def make_batch(size: int, batch: int, num_classes: int, seed: int = 0):
    from mmpretrain.structures import DataSample
    g = torch.Generator().manual_seed(seed)
    inputs = torch.randint(
        0, 256, (batch, 3, size, size), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, num_classes, (batch, ), generator=g)
    return dict(
        inputs=inputs,
        data_samples=[DataSample().set_gt_label(int(y)) for y in labels])


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def timed(fn, device: str) -> float:
    sync(device)
    start = time.perf_counter()
    fn()
    sync(device)
    return time.perf_counter() - start


def alternate(fns: dict, rounds: int, warmup: int, device: str) -> dict:
    """Median seconds of each callable, run in turn each round."""
    times = {name: [] for name in fns}
    for r in range(warmup + rounds):
        for name, fn in fns.items():
            t = timed(fn, device)
            if r >= warmup:
                times[name].append(t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def step_times(setting: str, args) -> dict:
    size, batch, configs = SETTINGS[setting]
    models = {name: build(c, args.device) for name, c in configs.items()}
    num_classes = models['pair'][0].cnn.head.num_classes
    data = make_batch(size, batch, num_classes)
    fns = {
        name: (lambda m=m, w=w: m.train_step(data, w))
        for name, (m, w) in models.items()
    }
    first = {}
    if args.compile:  # the pair with model.compile=True; its first step
        compiled, wrapper = build(configs['pair'], args.device, compile=True)
        fns['pair_compiled'] = lambda: compiled.train_step(data, wrapper)
        first['pair_compiled'] = timed(fns['pair_compiled'], args.device)
    steps = alternate(fns, args.rounds, args.warmup, args.device)

    # the PLM alone, on embeddings and logits of the real sizes
    pair = models['pair'][0]
    with torch.no_grad():
        inputs = pair.data_preprocessor(data, True)['inputs']
        h, z = zip(*(pair.embed(name, inputs) for name in ('cnn', 'trans')))
    leaves = [t.detach().requires_grad_() for t in (*h, *z)]

    def plm():
        losses = pair.pair_head.loss(*leaves)
        sum(losses.values()).backward()

    plm_time = alternate({'plm': plm}, args.rounds, args.warmup,
                         args.device)['plm']
    del models
    return dict(
        image_size=size,
        batch_size=batch,
        step_s=steps,
        first_step_s=first,
        plm_s=plm_time,
        pair_vs_solos=steps['pair'] / (steps['cnn'] + steps['trans']),
        dml_vs_vpl=steps['dml'] / steps['pair'],
        plm_share=plm_time / steps['pair'])


def time_epochs(loaders: dict, configs: dict, args) -> dict:
    """One epoch of each run (``{name: its own dataloader}``), the runs
    alternated (1 warm-up round, ``--epoch-rounds`` timed, medians), and
    the pair's epoch over the two solos'."""
    runs = {}
    for name, loader in loaders.items():
        model, wrapper = build(configs[name], args.device)

        def epoch(loader=loader, model=model, wrapper=wrapper):
            for data in loader:
                model.train_step(data, wrapper)

        runs[name] = epoch
    epochs = alternate(runs, args.epoch_rounds, 1, args.device)
    return dict(
        epoch_s=epochs,
        epoch_pair_vs_solos=epochs['pair'] / (epochs['cnn'] + epochs['trans']))


def epoch_times(args) -> dict:
    """One demo epoch (dataloader included) of pair, CNN and ViT."""
    from mmengine.runner import Runner
    _, _, configs = SETTINGS['demo']
    loaders = {}
    for name in ('pair', 'cnn', 'trans'):
        loader_cfg = load_cfg(configs[name]).train_dataloader.copy()
        loader_cfg.dataset.data_root = osp.abspath(args.data_root)
        if args.epoch_batches:
            loader_cfg.dataset.indices = (
                args.epoch_batches * loader_cfg.batch_size)
        loaders[name] = Runner.build_dataloader(loader_cfg, seed=0)
    return dict(
        batches=len(loaders['pair']), **time_epochs(loaders, configs, args))


def make_photo_folder(root: str,
                      num_images: int,
                      num_classes: int = 10,
                      size=(500, 375),
                      seed: int = 0) -> str:
    """An ImageNet-like folder of real JPEG photos: ``root/class_k/*.JPEG``.

    Each file is a random crop (60-100 % of the area, random flip) of one of
    scikit-image's bundled photos (``loss_scale.photos``), resized to
    ``size`` (ImageNet's typical 500x375; every third one portrait) and saved
    at JPEG quality 90, so decoding costs what an ImageNet file costs. Files
    already there are kept.
    """
    import numpy as np
    from loss_scale import photos
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


def _proc_status_bytes(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) * 1024  # in kB
    raise RuntimeError(f'no {field} in /proc/self/status')


def _peak_memory(setting, name, steps, device, tune, queue):
    """In a fresh process: peak memory of ``steps`` train steps."""
    if tune:
        from vpl_mm.utils import keep_freed_memory
        keep_freed_memory()
    size, batch, configs = SETTINGS[setting]
    model, wrapper = build(configs[name], device)
    num_classes = (model.cnn
                   if hasattr(model, 'cnn') else model).head.num_classes
    data = make_batch(size, batch, num_classes)
    if device.startswith('cuda'):
        torch.cuda.reset_peak_memory_stats()
        base = torch.cuda.memory_allocated()
    else:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')  # Linux: reset the peak RSS (VmHWM) to now
        base = _proc_status_bytes('VmRSS')
    for _ in range(steps):
        model.train_step(data, wrapper)
    if device.startswith('cuda'):
        peak = torch.cuda.max_memory_allocated()
    else:
        peak = _proc_status_bytes('VmHWM')
    queue.put(max(peak - base, 0))


def peak_memory(setting: str, args) -> dict:
    ctx = multiprocessing.get_context('spawn')
    result = {}
    for name in SETTINGS[setting][2]:
        queue = ctx.Queue()
        proc = ctx.Process(
            target=_peak_memory,
            args=(setting, name, args.memory_steps, args.device,
                  getattr(args, 'malloc_tuned', False), queue))
        proc.start()
        result[name] = queue.get()
        proc.join()
    return result


def report(results: dict) -> str:
    lines = [
        f'Machine: {results["machine"]}; glibc allocator tuned: '
        f'{results["args"].get("malloc_tuned", False)}', ''
    ]
    for setting, r in results['settings'].items():
        s = r['step_s']
        lines += [
            f'### {setting}: {r["image_size"]}x{r["image_size"]}, batch '
            f'{r["batch_size"]}', '',
            '| model | train step (s, median) | peak memory (MiB) |',
            '|---|---|---|'
        ]
        for name in s:
            mem = r.get('peak_mem_bytes', {}).get(name)
            mem = '—' if mem is None else f'{mem / 2**20:.0f}'
            lines.append(f'| {name} | {s[name]:.4f} | {mem} |')
        for name, t in r.get('first_step_s', {}).items():
            lines += [
                '', f'{name}: first step (compilation) {t:.1f} s; '
                f'then {s[name] / s["pair"]:.3f} x the eager pair step'
            ]
        lines += [
            '', '| ratio | measured | target |', '|---|---|---|',
            f'| pair / (CNN + ViT) step | {r["pair_vs_solos"]:.3f} | '
            f'<= {TARGETS["pair_vs_solos"]:.2f} |',
            f'| DML / VPL step | {r["dml_vs_vpl"]:.3f} | '
            f'>= {TARGETS["dml_vs_vpl"]:.2f} (paper) |',
            f'| PLM / pair step | {100 * r["plm_share"]:.2f} % | '
            f'<= {100 * TARGETS["plm_share"]:.0f} % |', ''
        ]
    if 'epoch' in results:
        e = results['epoch']
        lines += [
            f'### demo epoch with data loading ({e["batches"]} batches)', '',
            '| run | epoch (s, median) |', '|---|---|'
        ] + [f'| {k} | {v:.2f} |' for k, v in e['epoch_s'].items()] + [
            '', f'pair / (CNN + ViT) epoch: {e["epoch_pair_vs_solos"]:.3f} '
            f'(target <= {TARGETS["epoch_pair_vs_solos"]:.2f})', ''
        ]
    return '\n'.join(lines)


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


def machine(device: str) -> str:
    if device.startswith('cuda'):
        return torch.cuda.get_device_name()
    return (f'{platform.processor() or platform.machine()}, '
            f'{os.cpu_count()} CPU cores, torch {torch.__version__}, '
            f'{torch.get_num_threads()} threads')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--settings',
        nargs='+',
        default=list(SETTINGS),
        choices=list(SETTINGS))
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument(
        '--epoch-rounds',
        type=int,
        default=3,
        help='timed demo epochs of each run (0: none)')
    parser.add_argument(
        '--epoch-batches',
        type=int,
        default=None,
        help='cut the demo epoch to N batches')
    parser.add_argument(
        '--memory-steps',
        type=int,
        default=2,
        help='train steps per memory probe (0: none)')
    parser.add_argument(
        '--stock-malloc',
        action='store_true',
        help='leave glibc\'s allocator as it is (our tools '
        'tune it on CPU: vpl_mm.utils.keep_freed_memory)')
    parser.add_argument(
        '--compile',
        action='store_true',
        help='also time the pair with model.compile=True '
        '(first step = compilation)')
    parser.add_argument('--data-root', default='data/digits')
    parser.add_argument(
        '--pipeline',
        choices=['digits', 'imagenet'],
        default='digits',
        help='imagenet: only the ImageNet-pipeline epoch '
        '(R50 + ViT-B/16 on real JPEG photos), written to '
        'speed_imagenet.{json,md}')
    parser.add_argument(
        '--photo-root',
        default='data/photos_500x375',
        help='--pipeline imagenet: folder of the photos '
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
    sys.path.insert(0, osp.join(ROOT, 'tools'))
    from run_demo import ensure_data
    if not args.stock_malloc and not args.device.startswith('cuda'):
        from vpl_mm.utils import keep_freed_memory
        args.malloc_tuned = keep_freed_memory()
    os.makedirs(args.out, exist_ok=True)
    if args.pipeline == 'imagenet':
        print('timing the ImageNet pipeline ...', flush=True)
        results = dict(
            machine=machine(args.device),
            args=vars(args),
            imagenet=pipeline_times(args))
        return write(
            results, args.out, 'speed_imagenet',
            f'Machine: {results["machine"]}\n\n' +
            pipeline_report(results['imagenet']))
    results = dict(machine=machine(args.device), args=vars(args), settings={})
    for setting in args.settings:
        print(f'timing {setting} steps ...', flush=True)
        results['settings'][setting] = step_times(setting, args)
        if args.memory_steps:
            print(f'measuring {setting} memory ...', flush=True)
            results['settings'][setting]['peak_mem_bytes'] = peak_memory(
                setting, args)
    if args.epoch_rounds:
        print('timing demo epochs ...', flush=True)
        ensure_data(osp.abspath(args.data_root))
        results['epoch'] = epoch_times(args)
    write(results, args.out, 'speed', report(results))


def write(results: dict, out: str, name: str, text: str) -> None:
    with open(osp.join(out, f'{name}.json'), 'w') as f:
        json.dump(results, f, indent=1)
    with open(osp.join(out, f'{name}.md'), 'w') as f:
        f.write(text)
    print(text)


if __name__ == '__main__':
    main()
