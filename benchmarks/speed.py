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

On CPU, glibc's allocator is tuned as ``tools/train.py`` tunes it
(:func:`vpl_mm.utils.keep_freed_memory`) unless ``--stock-malloc``.

Writes ``speed.json`` and ``speed.md`` to ``--out``.

Usage::

    python -m benchmarks.speed [--settings demo r50_vitb] [--device cpu]
        [--rounds 5] [--warmup 1] [--out benchmarks/results]
"""
import argparse
import json
import multiprocessing
import os
import os.path as osp
import platform
import statistics
import time

import torch

from .common import ensure_digits, load_cfg

# setting: (image size, batch size, {model: config})
SETTINGS = {
    'demo': (32, 64, {  # the demo's PLM (no layer terms: --compile works)
        'pair': 'configs/demo/vpl_tiny_digits_plm.py',
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

    # the PLM alone (its EMA sources included), on the branches' outputs
    pair = models['pair'][0]
    with torch.no_grad():
        fed = pair.data_preprocessor(data, True)
        _, outputs = pair.pair_losses(fed['inputs'], fed['data_samples'])
    labels = torch.cat([s.gt_label for s in fed['data_samples']])
    leaves = {
        name: {
            key: (None if out is None else
                  [t.detach().requires_grad_() for t in out] if isinstance(
                      out, list) else out.detach().requires_grad_())
            for key, out in outputs[name].items()
        }
        for name in outputs
    }
    branch_inputs = {
        name: pair.branch_inputs(name, fed['inputs'])
        for name in outputs
    }
    branches = {name: pair.branch(name) for name in outputs}

    def plm():
        losses = pair.pair_head.loss(leaves, labels, branch_inputs, branches)
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


def machine(device: str) -> str:
    if device.startswith('cuda'):
        return torch.cuda.get_device_name()
    return (f'{platform.processor() or platform.machine()}, '
            f'{os.cpu_count()} CPU cores, torch {torch.__version__}, '
            f'{torch.get_num_threads()} threads')


def add_machine_args(parser) -> None:
    """``--device`` and ``--stock-malloc``, of every timing script."""
    parser.add_argument('--device', default='cpu')
    parser.add_argument(
        '--stock-malloc',
        action='store_true',
        help='leave glibc\'s allocator as it is (our tools '
        'tune it on CPU: vpl_mm.utils.keep_freed_memory)')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--settings',
        nargs='+',
        default=list(SETTINGS),
        choices=list(SETTINGS))
    add_machine_args(parser)
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
        '--compile',
        action='store_true',
        help='also time the pair with model.compile=True '
        '(first step = compilation)')
    parser.add_argument('--data-root', default='data/digits')
    parser.add_argument('--out', default='benchmarks/results')
    return parser.parse_args(argv)


def tune_malloc(args) -> None:
    """Tune glibc's allocator on CPU as ``tools/train.py`` does, unless
    ``--stock-malloc``; ``args.malloc_tuned`` says whether it took."""
    if not args.stock_malloc and not args.device.startswith('cuda'):
        from vpl_mm.utils import keep_freed_memory
        args.malloc_tuned = keep_freed_memory()


def main(argv=None):
    args = parse_args(argv)
    tune_malloc(args)
    os.makedirs(args.out, exist_ok=True)
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
        ensure_digits(osp.abspath(args.data_root))
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
