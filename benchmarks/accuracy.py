"""Top-1 of every method of an accuracy suite over seeds, and its claims.

The suites (``--suite``) are tables in :mod:`benchmarks.suites`: ``digits``
(the demo's branches on scikit-learn's real handwritten digits, val split
only), ``fashion_mnist`` (R1, the evidence suite) and
``fashion_mnist_crossover`` (R2, a thinner CNN). Each (method, seed) is one
``tools/train.py`` run of the method's config, its curve read from the val
split; with ``test`` among ``--splits`` its final weights are tested once on
the suite's test split.

The suite's ``runs.json`` under ``--out`` holds one record per (method,
seed, split), with the commit of the checkout that trained it (``+dirty``
when tracked files differed from it); records there are reused without
training, a run whose work
dir is gone is retrained (deterministically) only if a split it lacks needs
its weights, and an interrupted run resumes from its last checkpoint.
Writes ``runs.json``, ``summary.md`` (top-1 per method, each claim as a
paired difference with its 95 % t interval) and ``curves_val.png``.

Usage::

    python -m benchmarks.accuracy --suite fashion_mnist [--seeds 0 1 2] \\
        [--methods ...] [--splits val test] [--jobs 2]
"""
import argparse
import json
import os
import os.path as osp
import statistics
import subprocess
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List

from vpl_mm.utils import atomic_write
from .common import (ROOT, evaluate, last_checkpoint, mean_std, plot,
                     read_curves, t_interval, train, win_counts)
from .suites import BRANCH_NAMES, SUITES, Suite


def source_commit() -> str:
    """The checkout's commit, ``+dirty`` if a tracked file outside
    ``benchmarks/results`` (which the runs themselves write) differs from
    it."""

    def git(*args):
        return subprocess.run(['git', *args],
                              cwd=ROOT,
                              capture_output=True,
                              text=True)

    commit = git('rev-parse', 'HEAD').stdout.strip()
    changed = git('diff', '--quiet', 'HEAD', '--', '.',
                  ':(exclude)benchmarks/results').returncode
    return commit + ('+dirty' if changed else '')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--suite', required=True, choices=list(SUITES))
    parser.add_argument(
        '--splits',
        nargs='+',
        default=None,
        choices=['val', 'test'],
        help='what to report (default: every split of the suite); the test '
        'split is for the final report only')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument(
        '--methods', nargs='+', default=None, help='default: all of the suite')
    parser.add_argument(
        '--jobs',
        type=int,
        default=1,
        help='runs at a time (threads are shared out)')
    parser.add_argument(
        '--epochs',
        type=int,
        default=None,
        help='smoke tests: epochs instead of the configs\' (>= 2; records do '
        'not say it: use another --out)')
    parser.add_argument(
        '--train-size',
        type=int,
        default=None,
        help='smoke tests: use only the first N training images')
    parser.add_argument(
        '--eval-size',
        type=int,
        default=None,
        help='smoke tests: validate and test on only the first N images of '
        'each split')
    parser.add_argument(
        '--data-root', default=None, help='default: the suite\'s')
    parser.add_argument(
        '--work-dir',
        default='work_dirs/bench',
        help='runs go to '
        '<work dir>/<config folder>/<config>_s<seed>')
    parser.add_argument(
        '--out', default=None, help='default: benchmarks/results/<suite>')
    args = parser.parse_args(argv)
    suite = SUITES[args.suite]
    args.data_root = osp.abspath(args.data_root or suite.data_root)
    args.work_dir = osp.abspath(args.work_dir)
    args.out = args.out or f'benchmarks/results/{args.suite}'
    args.methods = args.methods or list(suite.methods)
    args.splits = args.splits or list(suite.splits)
    unknown = set(args.methods) - set(suite.methods)
    if unknown:
        parser.error(f'unknown {args.suite} methods {sorted(unknown)}; '
                     f'choose from {list(suite.methods)}')
    if set(args.splits) - set(suite.splits):
        parser.error(f'{args.suite} has the splits {list(suite.splits)}')
    if args.epochs is not None and args.epochs < 2:
        parser.error('--epochs must be >= 2')
    return args


class SuiteRuns:
    """Trains and tests the (method, seed) runs of one suite invocation."""

    def __init__(self, args, suite: Suite, known: Dict[tuple, dict]):
        self.args, self.suite, self.known = args, suite, known
        self.threads = max(1, (os.cpu_count() or 1) // args.jobs)
        self.locks: Dict[str, threading.Lock] = {}
        self.guard = threading.Lock()

    def work_dir(self, method: str, seed: int) -> str:
        """``<work dir>/<config's folder under configs/>/<config>_s<seed>``:
        one run per config and seed, whichever suite asks for it (R2 uses
        R1's solo transformer)."""
        config = self.suite.methods[method].config
        name = osp.relpath(osp.splitext(config)[0], 'configs')
        return osp.join(self.args.work_dir, f'{name}_s{seed}')

    def options(self, method: str, seed: int) -> List[str]:
        """``--cfg-options`` of a run, for training and for testing."""
        args, config = self.args, self.suite.methods[method].config
        options = [f'randomness.seed={seed}']
        teacher = self.suite.methods[method].teacher
        if teacher:  # (testing loads no teacher: its path may be gone)
            teacher_dir = self.work_dir(teacher, seed)
            options.append('model.pair_head.teacher_checkpoint=' +
                           (last_checkpoint(teacher_dir) if osp.
                            isfile(osp.join(teacher_dir, 'last_checkpoint')
                                   ) else teacher_dir))
        if args.train_size:
            options.append(
                f'train_dataloader.dataset.indices={args.train_size}')
        if args.eval_size:  # the first N of the config's val and test images
            from mmengine.config import Config
            val = Config.fromfile(osp.join(ROOT, config)).val_dataloader
            indices = val.dataset.get('indices') or args.eval_size
            if isinstance(indices, (list, tuple)):
                indices = list(indices[:args.eval_size])
            options += [
                f'val_dataloader.dataset.indices={indices}'.replace(' ', ''),
                f'test_dataloader.dataset.indices={args.eval_size}'
            ]
        return options

    def trained(self, method: str, seed: int) -> dict:
        """Train the run unless its work dir says it is done (its teacher
        first); its training wall time (``wall_s``) and the commit it was
        trained on (``commit``)."""
        work_dir = self.work_dir(method, seed)
        with self.guard:
            lock = self.locks.setdefault(work_dir, threading.Lock())
        with lock:  # a teacher asked for by two students trains once
            done = osp.join(work_dir, 'train_done.json')
            if not osp.isfile(done):
                teacher = self.suite.methods[method].teacher
                if teacher:
                    self.trained(teacher, seed)
                start = time.time()
                train(
                    f'{method} s{seed}',
                    self.suite.methods[method].config,
                    work_dir,
                    self.args.data_root,
                    self.args.epochs,
                    self.options(method, seed),
                    self.threads,
                    resume=osp.isfile(osp.join(work_dir, 'last_checkpoint')))
                with open(done, 'w') as f:
                    json.dump(
                        dict(
                            wall_s=time.time() - start,
                            commit=source_commit()), f)
            with open(done) as f:
                return json.load(f)

    def run(self, method: str, seed: int) -> List[dict]:
        """The run's records, one per split asked for."""
        splits = self.args.splits
        if all((method, seed, split) in self.known for split in splits):
            return [self.known[method, seed, split] for split in splits]
        config, branches = self.suite.methods[method][:2]
        done = self.trained(method, seed)
        work_dir = self.work_dir(method, seed)
        base = dict(
            method=method,
            seed=seed,
            config=config,
            wall_s=done['wall_s'],
            commit=done.get('commit'))
        records = []
        if 'val' in splits:
            curves = read_curves(work_dir)
            rec = dict(base, split='val')
            for branch, prefix in branches.items():
                rec[f'{branch}_top1'] = curves[prefix][-1][1]
                rec[f'{branch}_curve'] = curves[prefix]
            records.append(rec)
        if 'test' in splits:
            out = osp.join(work_dir, 'test_metrics.json')
            if osp.isfile(out):
                with open(out) as f:
                    metrics = json.load(f)
            else:  # the final weights on the official test split, once
                metrics = evaluate(config, last_checkpoint(work_dir), out, [
                    f'test_dataloader.dataset.data_root='
                    f'{self.args.data_root}', *self.options(method, seed)
                ], self.threads)
            records.append(
                dict(
                    base,
                    split='test',
                    **{
                        f'{branch}_top1':
                        metrics[(prefix + '/' if prefix else '') +
                                'accuracy/top1']
                        for branch, prefix in branches.items()
                    }))
        return records


def summary(records: List[dict], suite: Suite) -> str:
    """``summary.md``: top-1 per method and split, and each claim of the
    suite as a paired difference with its 95 % t interval."""
    commits = sorted({str(r.get('commit')) for r in records})
    lines = [
        f'Seeds {", ".join(map(str, sorted({r["seed"] for r in records})))};'
        f' trained on commit {", ".join(commits)}.', ''
    ]
    by = {(r['method'], r['split'], r['seed']): r for r in records}
    methods = [
        m for m in suite.methods if any(r['method'] == m for r in records)
    ]
    for split, name in suite.splits.items():
        rows = {
            m:
            [r for r in records if r['method'] == m and r['split'] == split]
            for m in methods
        }
        rows = {
            m: sorted(rs, key=lambda r: r['seed'])
            for m, rs in rows.items() if rs
        }
        if not rows:
            continue
        lines += [
            f'Top-1 (%) on the {name}, final epoch, mean ± std over the '
            'seeds listed.', '',
            '| method | seeds | CNN | transformer | wall (s) |',
            '|---|---|---|---|---|'
        ]
        for method, rs in rows.items():
            cells = []
            for branch in ('cnn', 'trans'):
                values = [
                    r[f'{branch}_top1'] for r in rs if f'{branch}_top1' in r
                ]
                cells.append('—' if not values else '{:.2f} ± {:.2f}'.format(
                    *mean_std(values)))
            walls = [r['wall_s'] for r in rs if r.get('wall_s') is not None]
            wall = f'{statistics.mean(walls):.0f}' if walls else '—'
            seeds = ','.join(str(r['seed']) for r in rs)
            lines.append(f'| {method} | {seeds} | {" | ".join(cells)} | '
                         f'{wall} |')
        table = []
        for claim in suite.claims:
            key = f'{claim.branch}_top1'
            pairs = [(by.get((claim.a, split, s),
                             {}), by.get((claim.b, split, s), {}))
                     for s in sorted({r['seed']
                                      for r in records})]
            diffs = [
                a[key] - b[key] for a, b in pairs if key in a and key in b
            ]
            if not diffs:
                continue
            m, low, high = t_interval(diffs)
            per_seed = ', '.join(f'{d:+.2f}' for d in diffs)
            interval = (f'[{low:+.2f}, {high:+.2f}]'
                        if len(diffs) > 1 else '—')
            table.append(f'| {claim.label} | {m:+.2f} | {interval} | '
                         f'{per_seed} | {win_counts(diffs)} |')
        if table:
            lines += [
                '', f'Paired differences a − b ({split}), per seed, mean '
                'and 95 % t interval; seeds where a > b / = / <.', '',
                '| claim | a − b | 95 % interval | per seed | > / = / < |',
                '|---|---|---|---|---|', *table
            ]
        lines.append('')
    return '\n'.join(lines + convergence(records, suite))


def convergence(records: List[dict], suite: Suite) -> List[str]:
    """Fig. 2's "faster convergence": per pair method and branch, the first
    epoch at which the branch's val top-1 reaches the final val top-1 of
    its solo run of the same seed (``—``: not within the run)."""
    val = {(r['method'], r['seed']): r for r in records if r['split'] == 'val'}
    rows = []
    for method, entry in suite.methods.items():
        for branch in entry.branches:
            solo = f'solo_{branch}'
            if method == solo or solo not in suite.methods:
                continue
            epochs, lengths = [], set()
            for (m, seed), rec in sorted(val.items()):
                target = val.get((solo, seed), {}).get(f'{branch}_top1')
                curve = rec.get(f'{branch}_curve')
                if m != method or target is None or not curve:
                    continue
                epochs.append(
                    next((str(e) for e, v in curve if v >= target), '—'))
                lengths.add(str(len(curve)))
            if epochs:
                rows.append(f'| {method} | {BRANCH_NAMES[branch]} | '
                            f'{", ".join(epochs)} | {"/".join(lengths)} |')
    if not rows:
        return []
    return [
        'Epoch at which each pair branch first reaches the final val top-1 '
        'of its solo run of the same seed (per seed, seeds ascending; — not '
        'reached).', '', '| method | branch | epoch per seed | epochs run |',
        '|---|---|---|---|', *rows, ''
    ]


def curves(records: List[dict], out: str) -> str:
    """Val top-1 vs epoch, mean ± std over seeds, both branches (Fig. 2)."""
    lines, bands = {}, {}
    for method in dict.fromkeys(r['method'] for r in records):
        for branch in ('cnn', 'trans'):
            runs = [
                r[f'{branch}_curve'] for r in records if r['method'] == method
                and r['split'] == 'val' and f'{branch}_curve' in r
            ]
            if not runs:
                continue
            stats = [
                mean_std([c[i][1] for c in runs]) for i in range(len(runs[0]))
            ]
            label = f'{method} {branch}'
            lines[label] = [(x, m) for (x, _), (m, _) in zip(runs[0], stats)]
            bands[label] = [sd for _, sd in stats]
    return plot(
        lines, out, bands=bands, title='val top-1, mean ± std over seeds')


def main(argv=None) -> List[dict]:
    args = parse_args(argv)
    suite = SUITES[args.suite]
    suite.prepare(args.data_root)
    os.makedirs(args.out, exist_ok=True)
    path = osp.join(args.out, 'runs.json')
    known = {}
    if osp.isfile(path):
        with open(path) as f:
            known = {
                (r['method'], r['seed'], r['split']): r
                for r in json.load(f)
            }
    runner = SuiteRuns(args, suite, known)
    lock, start = threading.Lock(), time.time()

    def run(r):
        recs = runner.run(*r)
        with lock:  # every finished run is on disk at once
            known.update(
                ((x['method'], x['seed'], x['split']), x) for x in recs)
            text = json.dumps(list(known.values()), indent=1)
            atomic_write(path, lambda f: f.write(text.encode()))

    runs = [(m, s) for m in args.methods for s in args.seeds]
    with ThreadPoolExecutor(args.jobs) as pool:
        # students after the runs that may be their teachers
        for wave in (False, True):
            list(
                pool.map(run, [
                    r
                    for r in runs if bool(suite.methods[r[0]].teacher) == wave
                ]))
    # the summary and the curves: every record of this invocation's seeds
    # (runs.json keeps all)
    records = [r for r in known.values() if r['seed'] in args.seeds]
    text = summary(records, suite)
    with open(osp.join(args.out, 'summary.md'), 'w') as f:
        f.write(text)
    if 'val' in args.splits:
        curves(records, osp.join(args.out, 'curves_val.png'))
    print(text)
    print(f'{len(runs)} runs, {time.time() - start:.0f} s; written to '
          f'{args.out}')
    return records


if __name__ == '__main__':
    main()
