import json
import statistics
from types import SimpleNamespace

import accuracy
import pytest
from _utils import python

PNG = b'\x89PNG\r\n\x1a\n'


def test_summary_by_hand():
    curves = {  # final top-1 per seed: the last point
        'solo_trans': {10: {0: dict(trans=[(10, 80.0)]),
                            1: dict(trans=[(10, 84.0)])}},
        'vpl': {10: {0: dict(cnn=[(10, 99.0)], trans=[(10, 83.0)]),
                     1: dict(cnn=[(10, 97.0)], trans=[(10, 85.0)])}},
    }
    args = SimpleNamespace(seeds=[0, 1], budgets=[10])
    text = accuracy.summarize(curves, args)
    std = statistics.stdev([80.0, 84.0])  # 2.83
    assert f'| solo_trans | 10 | — | 82.00 ± {std:.2f} |' in text
    assert f'| vpl | 10 | 98.00 ± {std / 2:.2f} | 84.00 ± 1.41 |' in text
    # paired by seed: 83 - 80 = +3, 85 - 84 = +1
    assert ("| VPL's transformer > solo transformer | 10 | +2.00 ± 1.41 "
            '(n=2) | 2/0/0 |') in text
    # directions whose runs are missing are left out
    assert 'DML' not in text


def test_plan_runs_variants_at_the_longest_budget_dis_last():
    args = accuracy.parse_args([
        '--seeds', '0', '1', '--budgets', '3', '5', '--methods', 'dis',
        'solo_cnn', 'vpl_x0y0'
    ])
    runs = accuracy.plan(args)
    assert runs[-4:] == [('dis', b, s) for b in (3, 5) for s in (0, 1)]
    assert [r for r in runs if r[0] == 'vpl_x0y0'] == [('vpl_x0y0', 5, 0),
                                                       ('vpl_x0y0', 5, 1)]
    with pytest.raises(SystemExit):
        accuracy.parse_args(['--methods', 'dis'])  # no teacher
    with pytest.raises(SystemExit):
        accuracy.parse_args(['--budgets', '1'])


def test_runs_on_a_tiny_setting(digits_root, tmp_path):
    out = tmp_path / 'out'
    log = python('benchmarks/accuracy.py', '--seeds', '0', '--budgets', '2',
                 '--methods', 'solo_cnn', 'vpl', 'dis',
                 '--variants', '--train-size', '64', '--data-root',
                 str(digits_root), '--work-dir', str(tmp_path / 'work'),
                 '--out', str(out))
    assert '3 runs' in log
    runs = json.loads((out / 'runs.json').read_text())
    assert sorted(runs) == ['dis', 'solo_cnn', 'vpl']
    # every run's curve: one point per epoch, both branches of a pair
    assert [e for e, _ in runs['vpl']['2']['0']['trans']] == [1, 2]
    assert set(runs['vpl']['2']['0']) == {'cnn', 'trans'}
    # the DIS teacher is the solo CNN of the same seed and budget
    assert (tmp_path / 'work/solo_cnn_2e_s0/epoch_2.pth').exists()
    assert '| vpl | 2 |' in (out / 'summary.md').read_text()
    with open(out / 'curves_2e.png', 'rb') as f:
        assert f.read(8) == PNG
    # finished runs are reused
    again = python('benchmarks/accuracy.py', '--seeds', '0', '--budgets', '2',
                   '--methods', 'solo_cnn', '--variants', '--train-size', '64',
                   '--data-root', str(digits_root), '--work-dir',
                   str(tmp_path / 'work'), '--out', str(out))
    assert 'epoch   1' not in again


def test_t_interval_by_hand():
    # diffs 1, 2, 6: mean 3, sd sqrt(7), t(0.975, 2) = 4.302653
    mean, low, high = accuracy.t_interval([1.0, 2.0, 6.0])
    half = 4.302653 * 7**0.5 / 3**0.5
    assert mean == pytest.approx(3.0)
    assert (low, high) == pytest.approx((3 - half, 3 + half), rel=1e-6)


def test_fashion_mnist_summary_by_hand():
    records = [
        dict(
            method='solo_trans', seed=s, split='val', wall_s=10., trans_top1=t)
        for s, t in ((0, 80.), (1, 84.), (2, 82.))
    ] + [
        dict(
            method='vpl',
            seed=s,
            split='val',
            wall_s=20.,
            cnn_top1=90.,
            trans_top1=t) for s, t in ((0, 81.), (1, 86.), (2, 88.))
    ]
    text = accuracy.fmnist_summary(records, [0, 1, 2])
    assert '| vpl | 90.00 ± 0.00 | 85.00 ± 3.61 | 20 |' in text
    # paired: +1, +2, +6 -> mean +3, the t interval of the test above
    half = 4.302653 * 7**0.5 / 3**0.5
    assert (f"| VPL's transformer > solo transformer | +3.00 | "
            f'[{3 - half:+.2f}, {3 + half:+.2f}] | +1.00, +2.00, +6.00 | '
            '3/0/0 |') in text
    assert 'test split' not in text  # no test records, no test table


def test_fashion_mnist_suite_resumes_and_tests_once(fashion_mnist_root,
                                                    tmp_path):
    out, work = tmp_path / 'out', tmp_path / 'work'
    argv = ('benchmarks/accuracy.py', '--suite', 'fashion_mnist', '--seeds',
            '0', '--budgets', '2', '--methods', 'solo_cnn', 'dis',
            '--train-size', '64', '--eval-size', '100', '--data-root',
            str(fashion_mnist_root), '--work-dir', str(work), '--out',
            str(out))
    log = python(*argv)
    assert '2 runs' in log
    records = json.loads((out / 'runs.json').read_text())
    assert sorted(
        (r['method'], r['split']) for r in records) == [('dis', 'test'),
                                                        ('dis', 'val'),
                                                        ('solo_cnn', 'test'),
                                                        ('solo_cnn', 'val')]
    val = next(r for r in records
               if r['method'] == 'dis' and r['split'] == 'val')
    assert [e for e, _ in val['trans_curve']] == [1, 2]
    assert 'cnn_top1' not in val  # DIS trains only the transformer
    # the test numbers are the final weights on the test images (the first
    # 100 here: --eval-size)
    test = json.loads((work / 'solo_cnn_s0/test_metrics.json').read_text())
    assert float(test['accuracy/top1']).is_integer()  # % of 100 images
    assert next(r for r in records if r['method'] == 'solo_cnn'
                and r['split'] == 'test')['cnn_top1'] == test['accuracy/top1']
    with open(out / 'curves_val.png', 'rb') as f:
        assert f.read(8) == PNG
    # finished runs are reused from runs.json, even without their work dirs
    import shutil
    shutil.rmtree(work)
    again = python(*argv)
    assert 'epoch   1' not in again
    assert json.loads((out / 'runs.json').read_text()) == records
    # a split not yet reported trains (deterministically) what it needs
    kept = [r for r in records if r['split'] == 'val']
    (out / 'runs.json').write_text(json.dumps(kept))
    third = python(*argv[:-4], '--methods', 'solo_cnn', '--work-dir',
                   str(work), '--out', str(out))
    assert 'epoch   2' in third
    retested = json.loads((out / 'runs.json').read_text())
    assert next(
        r for r in retested
        if r['method'] == 'solo_cnn' and r['split'] == 'test') == next(
            r for r in records
            if r['method'] == 'solo_cnn' and r['split'] == 'test') | dict(
                wall_s=next(
                    r['wall_s'] for r in retested
                    if r['method'] == 'solo_cnn' and r['split'] == 'test'))
