"""Top-1 vs epoch on real data: solo, VPL, DML, DIS and variants over seeds.

Two suites (``--suite``): ``digits`` (below) and ``fashion_mnist`` (the
evidence suite, see :func:`run_fashion_mnist`).

Tests the paper's directions (Fig. 2, Tables 3-4, 8) at demo scale, on
scikit-learn's real handwritten digits (``configs/demo/``): VPL's transformer
vs the solo transformer, VPL's CNN vs the solo CNN, VPL vs DML, and the
multi-stage schedule x = y = 20 vs x = y = 0. Every run is ``tools/train.py``
on a demo config; each (method, budget) runs once per seed.

Methods (``--methods``):

- ``solo_cnn``, ``solo_trans``: each branch alone.
- ``vpl``: the demo pair (cosine similarity, tau 0.2, CL weight 0.1,
  x = y = 20).
- ``dml``: deep mutual learning on the same branches.
- ``dis``: the solo CNN of the same seed and budget, frozen, teaches the ViT.
- ``vpl_x0y0``: ``vpl`` with both PLM terms all along (x = y = 0).
- ``vpl_bi``: ``vpl`` with both PLM terms reaching both branches (the
  paper's "Bi", Table 7).
- ``vpl_paper``: ``vpl`` with the paper-literal contrastive term (dot
  product, tau = 1, weight 1).

The variants (``--variants``, default ``vpl_x0y0 vpl_paper vpl_bi``) run at
the longest budget only. Finished runs in ``--work-dir`` are reused, so an
interrupted benchmark continues where it stopped.

Writes to ``--out``: ``runs.json`` (every curve), ``summary.md`` (final
top-1 mean ± std, and the paper's directions as paired differences over
seeds) and ``curves_<budget>e.png`` (mean ± std over seeds).

Usage::

    python benchmarks/accuracy.py [--seeds 0 1 2] [--budgets 10 30] \\
        [--jobs 2] [--out benchmarks/results/accuracy]
    python benchmarks/accuracy.py --suite fashion_mnist [--splits val test] \\
        [--jobs 2]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Sequence, Tuple

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path[:0] = [osp.join(ROOT, 'tools'), osp.join(ROOT, 'tools/analysis')]
from plot_curves import plot, read_curves  # noqa: E402
from run_demo import ensure_data, train  # noqa: E402

sys.path.insert(0, osp.join(ROOT, 'tools/dataset_converters'))
from prepare_fashion_mnist import prepare_fashion_mnist  # noqa: E402

DEMO = 'configs/demo/'
# method: (config, extra --cfg-options, {branch: metric prefix})
PAIR = dict(cnn='cnn', trans='trans')
METHODS = {
    'solo_cnn': (DEMO + 'solo_cnn_tiny_digits.py', [], dict(cnn='')),
    'solo_trans': (DEMO + 'solo_trans_tiny_digits.py', [], dict(trans='')),
    'vpl': (DEMO + 'vpl_tiny_digits.py', [], PAIR),
    'dml': (DEMO + 'dml_tiny_digits.py', [], PAIR),
    'dis': (DEMO + 'dis_tiny_digits.py', [], dict(trans='trans')),
    'vpl_x0y0':
    (DEMO + 'vpl_tiny_digits.py', ['custom_hooks.0.x=0',
                                   'custom_hooks.0.y=0'], PAIR),
    'vpl_bi': (DEMO + 'vpl_tiny_digits.py',
               ['model.pair_head.restrict_grad=False'], PAIR),
    'vpl_paper': (DEMO + 'vpl_tiny_digits.py', [
        'model.pair_head.cl_loss.normalize=False',
        'model.pair_head.cl_loss.temperature=1.0',
        'model.pair_head.cl_loss.loss_weight=1.0'
    ], PAIR),
}
FMNIST = 'configs/fashion_mnist/'
# method: (config, {branch: metric prefix}); dis after solo_cnn (its teacher)
FMNIST_METHODS = {
    'solo_cnn': (FMNIST + 'solo_cnn_tiny_fmnist.py', dict(cnn='')),
    'solo_trans': (FMNIST + 'solo_trans_tiny_fmnist.py', dict(trans='')),
    'vpl': (FMNIST + 'vpl_tiny_fmnist.py', PAIR),
    'vpl_nogate': (FMNIST + 'vpl_tiny_fmnist_nogate.py', PAIR),
    'vpl_tau1': (FMNIST + 'vpl_tiny_fmnist_tau1.py', PAIR),
    'vpl_excl': (FMNIST + 'vpl_tiny_fmnist_excl.py', PAIR),
    'vpl_x0y0': (FMNIST + 'vpl_tiny_fmnist_x0y0.py', PAIR),
    'vpl_bi': (FMNIST + 'vpl_tiny_fmnist_bi.py', PAIR),
    'dml': (FMNIST + 'dml_tiny_fmnist.py', PAIR),
    'dis': (FMNIST + 'dis_tiny_fmnist.py', dict(trans='trans')),
    # candidates of "the pair that pays" (benchmarks/README.md)
    'vpl_kd': (FMNIST + 'vpl_tiny_fmnist_kd.py', PAIR),
    'vpl_kdgate': (FMNIST + 'vpl_tiny_fmnist_kdgate.py', PAIR),
    'vpl_hard': (FMNIST + 'vpl_tiny_fmnist_hard.py', PAIR),
    'vpl_feat': (FMNIST + 'vpl_tiny_fmnist_feat.py', PAIR),
    'vpl_featkd': (FMNIST + 'vpl_tiny_fmnist_featkd.py', PAIR),
    'vpl_mlp': (FMNIST + 'vpl_tiny_fmnist_mlp.py', PAIR),
    'vpl_feat2': (FMNIST + 'vpl_tiny_fmnist_feat2.py', PAIR),
}
# (claim, method a, branch a, method b, branch b): a - b, paired by seed
FMNIST_CLAIMS = [
    ("VPL's transformer > solo transformer", 'vpl', 'trans', 'solo_trans',
     'trans'),
    ("VPL's CNN >= solo CNN", 'vpl', 'cnn', 'solo_cnn', 'cnn'),
    ('VPL >= DML (transformer)', 'vpl', 'trans', 'dml', 'trans'),
    ('VPL >= DML (CNN)', 'vpl', 'cnn', 'dml', 'cnn'),
    ('VPL vs DIS (transformer)', 'vpl', 'trans', 'dis', 'trans'),
    ('x=y=20 vs x=y=0 (transformer)', 'vpl', 'trans', 'vpl_x0y0', 'trans'),
    ('x=y=20 vs x=y=0 (CNN)', 'vpl', 'cnn', 'vpl_x0y0', 'cnn'),
    ('one-way vs Bi (transformer)', 'vpl', 'trans', 'vpl_bi', 'trans'),
    ('one-way vs Bi (CNN)', 'vpl', 'cnn', 'vpl_bi', 'cnn'),
    ('our PLM vs the paper-literal one (transformer)', 'vpl', 'trans',
     'vpl_tau1', 'trans'),
    ('our PLM vs the paper-literal one (CNN)', 'vpl', 'cnn', 'vpl_tau1',
     'cnn'),
    ('KL gate vs none (transformer)', 'vpl', 'trans', 'vpl_nogate', 'trans'),
    ('KL gate vs none (CNN)', 'vpl', 'cnn', 'vpl_nogate', 'cnn'),
    ('no gate: transformer vs solo', 'vpl_nogate', 'trans', 'solo_trans',
     'trans'),
    ('no gate: CNN vs solo', 'vpl_nogate', 'cnn', 'solo_cnn', 'cnn'),
    ('same-class negatives removed vs kept (transformer)', 'vpl_excl', 'trans',
     'vpl_nogate', 'trans'),
    ('same-class negatives removed vs kept (CNN)', 'vpl_excl', 'cnn',
     'vpl_nogate', 'cnn'),
]
CANDIDATES = ('vpl_kd', 'vpl_kdgate', 'vpl_hard', 'vpl_feat', 'vpl_featkd',
              'vpl_mlp', 'vpl_feat2')
# each candidate of "the pair that pays": vs solo (both branches), vs vpl
FMNIST_CLAIMS += [
    (f'{name}: {label}', name, branch, other, branch) for name in CANDIDATES
    for label, branch, other in (('transformer vs solo', 'trans',
                                  'solo_trans'), ('CNN vs solo', 'cnn',
                                                  'solo_cnn'),
                                 ('transformer vs vpl', 'trans', 'vpl'))
]
# (claim, method a, branch a, method b, branch b): is a >= b?
DIRECTIONS = [
    ("VPL's transformer > solo transformer", 'vpl', 'trans', 'solo_trans',
     'trans'),
    ("VPL's CNN >= solo CNN", 'vpl', 'cnn', 'solo_cnn', 'cnn'),
    ('VPL >= DML (transformer)', 'vpl', 'trans', 'dml', 'trans'),
    ('VPL >= DML (CNN)', 'vpl', 'cnn', 'dml', 'cnn'),
    ('VPL > DIS (transformer)', 'vpl', 'trans', 'dis', 'trans'),
    ('x=y=20 > x=y=0 (transformer)', 'vpl', 'trans', 'vpl_x0y0', 'trans'),
    ('x=y=20 > x=y=0 (CNN)', 'vpl', 'cnn', 'vpl_x0y0', 'cnn'),
    ('one-way > Bi (transformer)', 'vpl', 'trans', 'vpl_bi', 'trans'),
    ('one-way > Bi (CNN)', 'vpl', 'cnn', 'vpl_bi', 'cnn'),
    ('demo PLM > paper-literal PLM (transformer)', 'vpl', 'trans', 'vpl_paper',
     'trans'),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        '--suite', default='digits', choices=['digits', 'fashion_mnist'])
    parser.add_argument(
        '--splits',
        nargs='+',
        default=['val', 'test'],
        choices=['val', 'test'],
        help='fashion_mnist: what to report; the test split '
        'is for the final report only')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--budgets',
        type=int,
        nargs='+',
        default=None,
        help='epoch budgets (each >= 2); digits: default 10 '
        '30; fashion_mnist: one, default the configs\' 10')
    parser.add_argument(
        '--methods', nargs='+', default=None, help='default: all of the suite')
    parser.add_argument(
        '--variants',
        nargs='*',
        default=['vpl_x0y0', 'vpl_paper', 'vpl_bi'],
        help='methods run at the longest budget only')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='runs at a time (threads are shared out)')
    parser.add_argument(
        '--train-size',
        type=int,
        default=None,
        help='use only the first N training images (smoke '
        'tests)')
    parser.add_argument(
        '--eval-size',
        type=int,
        default=None,
        help='fashion_mnist: validate and test on only the first N images '
        'of each split (smoke tests)')
    parser.add_argument(
        '--data-root',
        default=None,
        help='default: data/digits or data/fashion_mnist')
    parser.add_argument(
        '--work-dir', default=None, help='default: work_dirs/bench_<suite>')
    parser.add_argument(
        '--out',
        default=None,
        help='default: benchmarks/results/accuracy or '
        'benchmarks/results/fashion_mnist')
    args = parser.parse_args(argv)
    fmnist = args.suite == 'fashion_mnist'
    args.data_root = args.data_root or ('data/fashion_mnist'
                                        if fmnist else 'data/digits')
    args.work_dir = args.work_dir or ('work_dirs/bench_fashion_mnist' if fmnist
                                      else 'work_dirs/bench_accuracy')
    args.out = args.out or ('benchmarks/results/fashion_mnist'
                            if fmnist else 'benchmarks/results/accuracy')
    args.methods = args.methods or list(FMNIST_METHODS if fmnist else METHODS)
    if not fmnist:
        args.budgets = args.budgets or [10, 30]
    elif args.budgets and len(args.budgets) != 1:
        parser.error('fashion_mnist takes one budget')
    if fmnist:
        unknown = set(args.methods) - set(FMNIST_METHODS)
        if unknown:
            parser.error(f'unknown fashion_mnist methods {sorted(unknown)}; '
                         f'choose from {list(FMNIST_METHODS)}')
        if 'dis' in args.methods and 'solo_cnn' not in args.methods:
            parser.error('dis needs solo_cnn (its teacher)')
        return args
    if set(args.methods) - set(METHODS):
        parser.error(f'unknown digits methods; choose from {list(METHODS)}')
    if args.budgets and min(args.budgets) < 2:
        parser.error('every budget must be >= 2 epochs')
    if 'dis' in args.methods and 'solo_cnn' not in args.methods:
        parser.error('dis needs solo_cnn (its teacher)')
    return args


def plan(args):
    """The runs as ``(method, budget, seed)``, DIS after its teachers."""
    runs = []
    for method in args.methods:
        budgets = ([max(args.budgets)]
                   if method in args.variants else args.budgets)
        runs += [(method, b, s) for b in budgets for s in args.seeds]
    return sorted(runs, key=lambda r: r[0] == 'dis')


def run_dir(args, method, budget, seed):
    return osp.join(osp.abspath(args.work_dir), f'{method}_{budget}e_s{seed}')


def finished(work_dir, budget):
    return osp.isfile(osp.join(work_dir, f'epoch_{budget}.pth'))


def run_one(args, method, budget, seed, threads):
    config, options, branches = METHODS[method]
    work_dir = run_dir(args, method, budget, seed)
    options = options + [f'randomness.seed={seed}']
    if method == 'dis':
        teacher = osp.join(
            run_dir(args, 'solo_cnn', budget, seed), f'epoch_{budget}.pth')
        options.append(f'model.teacher_checkpoint={teacher}')
    if args.train_size:
        options.append(f'train_dataloader.dataset.indices={args.train_size}')
    if not finished(work_dir, budget):
        train(f'{method} {budget}e s{seed}', config, work_dir,
              osp.abspath(args.data_root), budget, options, threads)
    curves = read_curves(work_dir)
    return {branch: curves[prefix] for branch, prefix in branches.items()}


def mean_std(values):
    return (statistics.mean(values),
            statistics.stdev(values) if len(values) > 1 else 0.0)


def summarize(results, args):
    """``summary.md``'s text from ``{method: {budget: {seed: curves}}}``."""
    seeds = ', '.join(map(str, args.seeds))
    lines = [
        f'Top-1 (%) on the digits val split (360 real images) at the last '
        f'epoch, mean ± std over seeds {seeds}.', '',
        '| method | budget | CNN | transformer |', '|---|---|---|---|'
    ]
    final = {}
    for method, by_budget in results.items():
        for budget, by_seed in sorted(by_budget.items()):
            cells = []
            for branch in ('cnn', 'trans'):
                values = [
                    c[branch][-1][1] for c in by_seed.values() if branch in c
                ]
                if values:
                    final[method, budget, branch] = values
                    m, s = mean_std(values)
                    cells.append(f'{m:.2f} ± {s:.2f}')
                else:
                    cells.append('—')
            lines.append(f'| {method} | {budget} | {" | ".join(cells)} |')
    lines += [
        '', 'The paper\'s directions: difference a − b of the final top-1, '
        'paired by seed (mean ± std over n seeds), and the seeds where '
        'a > b / a = b / a < b.', '',
        '| claim | budget | a − b | seeds > / = / < |', '|---|---|---|---|'
    ]
    for claim, ma, ba, mb, bb in DIRECTIONS:
        for budget in sorted(args.budgets):
            a, b = final.get((ma, budget, ba)), final.get((mb, budget, bb))
            if not a or not b:
                continue
            diffs = [x - y for x, y in zip(a, b)]
            m, s = mean_std(diffs)
            counts = '/'.join(
                str(sum(test(d) for d in diffs))
                for test in (lambda d: d > 0, lambda d: d == 0,
                             lambda d: d < 0))
            lines.append(f'| {claim} | {budget} | {m:+.2f} ± {s:.2f} '
                         f'(n={len(diffs)}) | {counts} |')
    return '\n'.join(lines) + '\n'


def draw(results, budget, out):
    """Mean ± std curves over seeds of every method at one budget."""
    lines, bands = {}, {}
    for method, by_budget in results.items():
        by_seed = by_budget.get(budget)
        if not by_seed:
            continue
        for branch in ('cnn', 'trans'):
            curves = [c[branch] for c in by_seed.values() if branch in c]
            if not curves:
                continue
            steps = [x for x, _ in curves[0]]
            stats = [
                mean_std([c[i][1] for c in curves]) for i in range(len(steps))
            ]
            label = f'{method} {branch}'
            lines[label] = [(x, m) for x, (m, _) in zip(steps, stats)]
            bands[label] = [s for _, s in stats]
    return plot(
        lines,
        out,
        bands=bands,
        title=f'digits val top-1, {budget} epochs, mean ± std over '
        f'{len(next(iter(results.values()))[budget])} seeds')


def main(argv=None):
    args = parse_args(argv)
    if args.suite == 'fashion_mnist':
        return run_fashion_mnist(args)
    ensure_data(osp.abspath(args.data_root))
    os.makedirs(args.out, exist_ok=True)
    runs = plan(args)
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    results = {}
    start = time.time()
    first = [r for r in runs if r[0] != 'dis']
    with ThreadPoolExecutor(args.jobs) as pool:
        for batch in (first, runs[len(first):]):  # DIS after its teachers
            for (method, budget, seed), curves in zip(
                    batch, pool.map(lambda r: run_one(args, *r, threads),
                                    batch)):
                results.setdefault(method, {}).setdefault(budget,
                                                          {})[seed] = curves
    with open(osp.join(args.out, 'runs.json'), 'w') as f:
        json.dump(
            {
                m: {
                    str(b): {
                        str(s): c
                        for s, c in bs.items()
                    }
                    for b, bs in mb.items()
                }
                for m, mb in results.items()
            },
            f,
            indent=1)
    summary = summarize(results, args)
    with open(osp.join(args.out, 'summary.md'), 'w') as f:
        f.write(summary)
    for budget in args.budgets:
        draw(results, budget, osp.join(args.out, f'curves_{budget}e.png'))
    print(summary)
    print(f'{len(runs)} runs, {time.time() - start:.0f} s; written to '
          f'{args.out}')


def t_interval(diffs: Sequence[float],
               level: float = 0.95) -> Tuple[float, float, float]:
    """Mean of paired differences and its two-sided t interval.

    Returns:
        tuple: ``(mean, low, high)``; with one value the interval is
        ``(nan, nan)``.
    """
    from scipy.stats import t
    n = len(diffs)
    mean = statistics.mean(diffs)
    if n < 2:
        return mean, float('nan'), float('nan')
    half = t.ppf(0.5 + level / 2, n - 1) * statistics.stdev(diffs) / n**0.5
    return mean, mean - half, mean + half


def fmnist_run(args, method: str, seed: int, threads: int,
               known: Dict[tuple, dict]) -> List[dict]:
    """Train one (method, seed) unless done, test it once if asked; return
    its records (one per split). Records already in ``known`` (from the
    suite's ``runs.json``) are reused without training: training is
    deterministic, so a run whose work dir is gone is retrained only if a
    split it still lacks needs its weights."""
    config, branches = FMNIST_METHODS[method]
    if all((method, seed, split) in known for split in args.splits):
        return [known[method, seed, split] for split in args.splits]
    work_dir = osp.join(osp.abspath(args.work_dir), f'{method}_s{seed}')
    options = [f'randomness.seed={seed}']
    if method == 'dis':
        teacher = last_checkpoint(
            osp.join(osp.abspath(args.work_dir), f'solo_cnn_s{seed}'))
        options.append(f'model.teacher_checkpoint={teacher}')
    if args.train_size:
        options.append(f'train_dataloader.dataset.indices={args.train_size}')
    if args.eval_size:  # the first N of the config's val and test images
        from mmengine.config import Config
        val = Config.fromfile(osp.join(ROOT, config)).val_dataloader
        options += [
            'val_dataloader.dataset.indices='
            f'{list(val.dataset.indices[:args.eval_size])}'.replace(' ', ''),
            f'test_dataloader.dataset.indices={args.eval_size}'
        ]
    done = osp.join(work_dir, 'train_done.json')
    if not osp.isfile(done):
        start = time.time()
        train(
            f'{method} s{seed}',
            config,
            work_dir,
            osp.abspath(args.data_root),
            args.budgets[0] if args.budgets else None,
            options,
            threads,
            resume=osp.isfile(osp.join(work_dir, 'last_checkpoint')))
        with open(done, 'w') as f:
            json.dump(dict(wall_s=time.time() - start), f)
    with open(done) as f:
        wall = json.load(f)['wall_s']
    curves = read_curves(work_dir)
    base = dict(method=method, seed=seed, config=config, wall_s=wall)
    records = []
    if 'val' in args.splits:
        rec = dict(base, split='val')
        for branch, prefix in branches.items():
            rec[f'{branch}_top1'] = curves[prefix][-1][1]
            rec[f'{branch}_curve'] = curves[prefix]
        records.append(rec)
    if 'test' in args.splits:
        records.append(
            dict(
                base,
                split='test',
                **fmnist_test(args, config, work_dir, branches, options,
                              threads)))
    return records


def last_checkpoint(work_dir: str) -> str:
    """The work dir's last checkpoint, found in that dir (MMEngine writes an
    absolute path, which a moved or renamed work dir would break)."""
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        return osp.join(work_dir, osp.basename(f.read().strip()))


def fmnist_test(args, config, work_dir, branches, options, threads) -> dict:
    """Top-1 of the final weights on the official test split (once)."""
    out = osp.join(work_dir, 'test_metrics.json')
    if not osp.isfile(out):
        import subprocess
        ckpt = last_checkpoint(work_dir)
        root = osp.abspath(args.data_root)
        env = dict(
            os.environ,
            OMP_NUM_THREADS=str(threads),
            PYTHONPATH=os.pathsep.join(
                p for p in (ROOT, os.environ.get('PYTHONPATH')) if p))
        subprocess.run([
            sys.executable, 'tools/test.py', config, ckpt, '--work-dir',
            osp.join(work_dir, 'test'), '--out', out, '--out-item', 'metrics',
            '--cfg-options', f'test_dataloader.dataset.data_root={root}',
            *options
        ],
                       cwd=ROOT,
                       env=env,
                       check=True,
                       capture_output=True)
    with open(out) as f:
        metrics = json.load(f)
    return {
        f'{branch}_top1':
        metrics[(prefix + '/' if prefix else '') + 'accuracy/top1']
        for branch, prefix in branches.items()
    }


def fmnist_summary(records: List[dict], seeds: Sequence[int]) -> str:
    """Tables of ``summary.md``: top-1 per method and split, and each claim
    as a paired difference with its 95 % t interval."""
    lines = []
    by = {(r['method'], r['split'], r['seed']): r for r in records}
    methods = list(dict.fromkeys(r['method'] for r in records))
    for split in ('val', 'test'):
        if not any(r['split'] == split for r in records):
            continue
        name = ('val split (the last 5,000 training images)'
                if split == 'val' else 'official test split (10,000 images)')
        lines += [
            f'Top-1 (%) on the {name}, final epoch, mean ± std over '
            f'seeds {", ".join(map(str, seeds))}.', '',
            '| method | CNN | transformer | wall (s) |', '|---|---|---|---|'
        ]
        for method in methods:
            rows = [
                by[method, split, s] for s in seeds if (method, split, s) in by
            ]
            if not rows:
                continue
            cells = []
            for branch in ('cnn', 'trans'):
                values = [
                    r[f'{branch}_top1'] for r in rows if f'{branch}_top1' in r
                ]
                m, sd = mean_std(values) if values else (None, None)
                cells.append('—' if m is None else f'{m:.2f} ± {sd:.2f}')
            wall = statistics.mean(r['wall_s'] for r in rows)
            lines.append(f'| {method} | {" | ".join(cells)} | {wall:.0f} |')
        lines += [
            '', f'Paired differences a − b ({split}), per seed, mean '
            'and 95 % t interval; seeds where a > b / = / <.', '',
            '| claim | a − b | 95 % interval | per seed | > / = / < |',
            '|---|---|---|---|---|'
        ]
        for claim, ma, ba, mb, bb in FMNIST_CLAIMS:
            pairs = [(by[ma, split, s][f'{ba}_top1'], by[mb, split,
                                                         s][f'{bb}_top1'])
                     for s in seeds
                     if (ma, split, s) in by and (mb, split, s) in by]
            if not pairs:
                continue
            diffs = [a - b for a, b in pairs]
            m, low, high = t_interval(diffs)
            counts = '/'.join(
                str(sum(test(d) for d in diffs))
                for test in (lambda d: d > 0, lambda d: d == 0,
                             lambda d: d < 0))
            per_seed = ', '.join(f'{d:+.2f}' for d in diffs)
            lines.append(f'| {claim} | {m:+.2f} | [{low:+.2f}, {high:+.2f}] '
                         f'| {per_seed} | {counts} |')
        lines.append('')
    return '\n'.join(lines)


def fmnist_curves(records: List[dict], out: str) -> str:
    """Val top-1 vs epoch, mean ± std over seeds, both branches (Fig. 2)."""
    lines, bands = {}, {}
    methods = list(dict.fromkeys(r['method'] for r in records))
    for method in methods:
        for branch in ('cnn', 'trans'):
            curves = [
                r[f'{branch}_curve'] for r in records if r['method'] == method
                and r['split'] == 'val' and f'{branch}_curve' in r
            ]
            if not curves:
                continue
            steps = [x for x, _ in curves[0]]
            stats = [
                mean_std([c[i][1] for c in curves]) for i in range(len(steps))
            ]
            label = f'{method} {branch}'
            lines[label] = [(x, m) for x, (m, _) in zip(steps, stats)]
            bands[label] = [sd for _, sd in stats]
    return plot(
        lines,
        out,
        bands=bands,
        title='Fashion-MNIST val top-1, mean ± std over seeds')


def run_fashion_mnist(args) -> List[dict]:
    """The evidence suite: every method x seed trained on the 12,000-image
    train subset, curves on the val split, the final weights tested once on
    the official test split; finished runs (and tests) are reused."""
    root = osp.abspath(args.data_root)
    if not osp.isfile(osp.join(root, 't10k-labels-idx1-ubyte')):
        prepare_fashion_mnist(out=root)
    os.makedirs(args.out, exist_ok=True)
    threads = max(1, (os.cpu_count() or 1) // args.jobs)
    runs = [(m, s) for m in args.methods for s in args.seeds]
    first = [r for r in runs if r[0] != 'dis']
    path = osp.join(args.out, 'runs.json')
    known = {}
    if osp.isfile(path):
        with open(path) as f:
            known = {
                (r['method'], r['seed'], r['split']): r
                for r in json.load(f)
            }
    lock, start = threading.Lock(), time.time()

    def run(r):
        recs = fmnist_run(args, *r, threads, known)
        with lock:  # every finished run is on disk at once
            known.update(
                ((x['method'], x['seed'], x['split']), x) for x in recs)
            with open(path + '.tmp', 'w') as f:
                json.dump(list(known.values()), f, indent=1)
            os.replace(path + '.tmp', path)
        return recs

    with ThreadPoolExecutor(args.jobs) as pool:
        # DIS after its teachers
        for batch in (first, [r for r in runs if r[0] == 'dis']):
            list(pool.map(run, batch))
    # the whole file: this invocation's runs and any kept from before
    records = list(known.values())
    summary = fmnist_summary(records, sorted({r['seed'] for r in records}))
    with open(osp.join(args.out, 'summary.md'), 'w') as f:
        f.write(summary)
    if 'val' in args.splits:
        fmnist_curves(records, osp.join(args.out, 'curves_val.png'))
    print(summary)
    print(f'{len(runs)} runs, {time.time() - start:.0f} s; written to '
          f'{args.out}')
    return records


if __name__ == '__main__':
    main()
