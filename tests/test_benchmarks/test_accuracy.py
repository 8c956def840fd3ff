import json
import statistics
from types import SimpleNamespace

import pytest

import accuracy
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
    args = accuracy.parse_args(['--seeds', '0', '1', '--budgets', '3', '5',
                                '--methods', 'dis', 'solo_cnn', 'vpl_x0y0'])
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
                 '--methods', 'solo_cnn', 'vpl', 'dis', '--variants',
                 '--train-size', '64', '--data-root', str(digits_root),
                 '--work-dir', str(tmp_path / 'work'), '--out', str(out))
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
    again = python('benchmarks/accuracy.py', '--seeds', '0', '--budgets',
                   '2', '--methods', 'solo_cnn', '--variants',
                   '--train-size', '64', '--data-root', str(digits_root),
                   '--work-dir', str(tmp_path / 'work'), '--out', str(out))
    assert 'epoch   1' not in again
