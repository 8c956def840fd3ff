"""Top-1 vs epoch on the real digits: solo, VPL, DML, DIS over seeds.

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
"""
import argparse
import json
import os
import os.path as osp
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path[:0] = [osp.join(ROOT, 'tools'), osp.join(ROOT, 'tools/analysis')]
from plot_curves import plot, read_curves  # noqa: E402
from run_demo import ensure_data, train  # noqa: E402

DEMO = 'configs/demo/'
# method: (config, extra --cfg-options, {branch: metric prefix})
PAIR = dict(cnn='cnn', trans='trans')
METHODS = {
    'solo_cnn': (DEMO + 'solo_cnn_tiny_digits.py', [], dict(cnn='')),
    'solo_trans': (DEMO + 'solo_trans_tiny_digits.py', [], dict(trans='')),
    'vpl': (DEMO + 'vpl_tiny_digits.py', [], PAIR),
    'dml': (DEMO + 'dml_tiny_digits.py', [], PAIR),
    'dis': (DEMO + 'dis_tiny_digits.py', [], dict(trans='trans')),
    'vpl_x0y0': (DEMO + 'vpl_tiny_digits.py',
                 ['custom_hooks.0.x=0', 'custom_hooks.0.y=0'], PAIR),
    'vpl_bi': (DEMO + 'vpl_tiny_digits.py',
               ['model.pair_head.restrict_grad=False'], PAIR),
    'vpl_paper': (DEMO + 'vpl_tiny_digits.py', [
        'model.pair_head.cl_loss.normalize=False',
        'model.pair_head.cl_loss.temperature=1.0',
        'model.pair_head.cl_loss.loss_weight=1.0'
    ], PAIR),
}
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
    ('demo PLM > paper-literal PLM (transformer)', 'vpl', 'trans',
     'vpl_paper', 'trans'),
]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--budgets', type=int, nargs='+', default=[10, 30],
                        help='epoch budgets (each >= 2)')
    parser.add_argument('--methods', nargs='+', default=list(METHODS),
                        choices=list(METHODS))
    parser.add_argument('--variants', nargs='*',
                        default=['vpl_x0y0', 'vpl_paper', 'vpl_bi'],
                        help='methods run at the longest budget only')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at a time (threads are shared out)')
    parser.add_argument('--train-size', type=int, default=None,
                        help='use only the first N training images (smoke '
                        'tests)')
    parser.add_argument('--data-root', default='data/digits')
    parser.add_argument('--work-dir', default='work_dirs/bench_accuracy')
    parser.add_argument('--out', default='benchmarks/results/accuracy')
    args = parser.parse_args(argv)
    if min(args.budgets) < 2:
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
        teacher = osp.join(run_dir(args, 'solo_cnn', budget, seed),
                           f'epoch_{budget}.pth')
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
                values = [c[branch][-1][1] for c in by_seed.values()
                          if branch in c]
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
            stats = [mean_std([c[i][1] for c in curves])
                     for i in range(len(steps))]
            label = f'{method} {branch}'
            lines[label] = [(x, m) for x, (m, _) in zip(steps, stats)]
            bands[label] = [s for _, s in stats]
    return plot(lines, out, bands=bands,
                title=f'digits val top-1, {budget} epochs, mean ± std over '
                f'{len(next(iter(results.values()))[budget])} seeds')


def main(argv=None):
    args = parse_args(argv)
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
                    batch,
                    pool.map(lambda r: run_one(args, *r, threads), batch)):
                results.setdefault(method, {}).setdefault(budget,
                                                          {})[seed] = curves
    with open(osp.join(args.out, 'runs.json'), 'w') as f:
        json.dump({m: {str(b): {str(s): c for s, c in bs.items()}
                       for b, bs in mb.items()}
                   for m, mb in results.items()}, f, indent=1)
    summary = summarize(results, args)
    with open(osp.join(args.out, 'summary.md'), 'w') as f:
        f.write(summary)
    for budget in args.budgets:
        draw(results, budget, osp.join(args.out, f'curves_{budget}e.png'))
    print(summary)
    print(f'{len(runs)} runs, {time.time() - start:.0f} s; written to '
          f'{args.out}')


if __name__ == '__main__':
    main()
