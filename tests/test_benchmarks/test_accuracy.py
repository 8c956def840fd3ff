import json
import os.path as osp
import re
import shutil
import sys

import pytest
from _utils import ROOT, run

from benchmarks import accuracy
from benchmarks.common import t_interval
from benchmarks.suites import SUITES, Claim, Method, Suite

PNG = b'\x89PNG\r\n\x1a\n'


def bench(*args):
    return run([sys.executable, '-m', 'benchmarks.accuracy', *args])


@pytest.mark.parametrize('name', list(SUITES))
def test_suite_tables_name_what_exists(name):
    suite = SUITES[name]
    for method, entry in suite.methods.items():
        assert osp.isfile(osp.join(ROOT, entry.config)), method
        assert entry.teacher is None or entry.teacher in suite.methods
    for claim in suite.claims:
        for side in (claim.a, claim.b):  # each side has the claim's branch
            assert claim.branch in suite.methods[side].branches, claim


def test_summary_by_hand():
    suite = Suite(
        '', None, dict(val='val split'),
        dict(
            solo_trans=Method('s.py', dict(trans='')),
            vpl=Method('v.py', dict(cnn='cnn', trans='trans'))), [
                Claim('vpl', 'solo_trans', 'trans'),
                Claim('vpl', 'solo_trans', 'cnn')
            ])
    records = [
        dict(
            method='solo_trans', seed=s, split='val', wall_s=10., trans_top1=t)
        for s, t in ((0, 80.), (1, 84.), (2, 82.))
    ] + [
        dict(
            method='vpl',
            seed=s,
            split='val',
            wall_s=None if s else 20.,
            cnn_top1=90.,
            trans_top1=t) for s, t in ((0, 81.), (1, 86.), (2, 88.))
    ]
    records[0]['commit'] = 'abc'
    text = accuracy.summary(records, suite)
    # which commits the records were trained on: one run's is unknown
    assert text.startswith('Seeds 0, 1, 2; trained on commit None, abc.')
    assert '| vpl | 0,1,2 | 90.00 ± 0.00 | 85.00 ± 3.61 | 20 |' in text
    assert '| solo_trans | 0,1,2 | — | 82.00 ± 2.00 | 10 |' in text
    # paired: +1, +2, +6 -> mean +3, the t interval of test_common's
    half = 4.302653 * 7**0.5 / 3**0.5
    assert (f'| vpl − solo_trans (transformer) | +3.00 | '
            f'[{3 - half:+.2f}, {3 + half:+.2f}] | +1.00, +2.00, +6.00 | '
            '3/0/0 |') in text
    assert 'vpl − solo_trans (CNN)' not in text  # solo_trans has no CNN
    # a seed only one side has is left out of the pairs
    text = accuracy.summary(records[1:], suite)
    assert '| +2.00, +6.00 | 2/0/0 |' in text
    assert 'test' not in text  # the suite has no test split


def test_convergence_epochs_by_hand():
    suite = Suite(
        '', None, dict(val='val split'),
        dict(
            solo_trans=Method('s.py', dict(trans='')),
            vpl=Method('v.py', dict(cnn='cnn', trans='trans'))), [])
    records = [
        dict(method='solo_trans', seed=0, split='val', trans_top1=80.0),
        dict(method='solo_trans', seed=1, split='val', trans_top1=90.0),
        dict(
            method='vpl',
            seed=0,
            split='val',
            trans_curve=[(1, 70.0), (2, 80.0), (3, 85.0)]),
        dict(
            method='vpl',
            seed=1,
            split='val',
            trans_curve=[(1, 70.0), (2, 80.0), (3, 85.0)]),
    ]
    text = '\n'.join(accuracy.convergence(records, suite))
    # seed 0 reaches its solo's 80.0 at epoch 2; seed 1 never reaches 90
    assert '| vpl | transformer | 2, — | 3 |' in text
    assert 'CNN' not in text  # no solo CNN to compare with


def test_t_interval_by_hand():
    # diffs 1, 2, 6: mean 3, sd sqrt(7), t(0.975, 2) = 4.302653
    mean, low, high = t_interval([1.0, 2.0, 6.0])
    half = 4.302653 * 7**0.5 / 3**0.5
    assert mean == pytest.approx(3.0)
    assert (low, high) == pytest.approx((3 - half, 3 + half), rel=1e-6)


def test_bad_arguments_are_refused():
    for argv in (['--suite', 'digits', '--methods',
                  'nope'], ['--suite', 'digits', '--splits',
                            'test'], ['--suite', 'digits', '--epochs', '1']):
        with pytest.raises(SystemExit):
            accuracy.parse_args(argv)


def test_digits_student_trains_its_teacher_first(digits_root, tmp_path):
    out, work = tmp_path / 'out', tmp_path / 'work'
    log = bench('--suite', 'digits', '--seeds', '0', '--epochs', '2',
                '--methods', 'dis', '--train-size', '64', '--data-root',
                str(digits_root), '--work-dir', str(work), '--out', str(out))
    assert '1 runs' in log
    # the teacher, not asked for, trained first, in its config's work dir
    assert (work / 'demo/solo_cnn_tiny_digits_s0/epoch_2.pth').exists()
    (record, ) = json.loads((out / 'runs.json').read_text())
    assert record['method'] == 'dis' and record['split'] == 'val'
    assert [e for e, _ in record['trans_curve']] == [1, 2]
    assert 'cnn_top1' not in record  # DIS trains only the transformer
    assert '| dis | 0 | — |' in (out / 'summary.md').read_text()


def test_fashion_mnist_suite_resumes_and_tests_once(fashion_mnist_root,
                                                    tmp_path):
    out, work = tmp_path / 'out', tmp_path / 'work'
    argv = ('--suite', 'fashion_mnist', '--seeds', '0', '--epochs', '2',
            '--methods', 'solo_cnn', '--train-size', '64', '--eval-size',
            '100', '--data-root', str(fashion_mnist_root), '--work-dir',
            str(work), '--out', str(out))
    log = bench(*argv)
    assert '1 runs' in log
    records = json.loads((out / 'runs.json').read_text())
    assert sorted(
        (r['method'], r['split']) for r in records) == [('solo_cnn', 'test'),
                                                        ('solo_cnn', 'val')]
    # the test numbers are the final weights on the test images (the first
    # 100 here: --eval-size)
    run_dir = work / 'fashion_mnist/solo_cnn_tiny_fmnist_s0'
    test = json.loads((run_dir / 'test_metrics.json').read_text())
    assert float(test['accuracy/top1']).is_integer()  # % of 100 images
    assert next(r for r in records if r['method'] == 'solo_cnn'
                and r['split'] == 'test')['cnn_top1'] == test['accuracy/top1']
    with open(out / 'curves_val.png', 'rb') as f:
        assert f.read(8) == PNG
    # finished runs are reused from runs.json, even without their work dirs
    shutil.rmtree(work)
    again = bench(*argv)
    assert 'epoch   1' not in again
    assert json.loads((out / 'runs.json').read_text()) == records
    # a split not yet reported trains (deterministically) what it needs
    kept = [r for r in records if r['split'] == 'val']
    (out / 'runs.json').write_text(json.dumps(kept))
    third = bench(*argv)
    assert 'epoch   2' in third
    retested = {
        (r['method'], r['split']): r
        for r in json.loads((out / 'runs.json').read_text())
    }
    before = {(r['method'], r['split']): r for r in records}
    wall = retested['solo_cnn', 'test']['wall_s']
    commit = retested['solo_cnn', 'test']['commit']
    # the commit the run was (re)trained on
    assert re.fullmatch(r'[0-9a-f]{40}(\+dirty)?', commit), commit
    assert retested['solo_cnn', 'test'] == dict(
        before['solo_cnn', 'test'], wall_s=wall, commit=commit)
