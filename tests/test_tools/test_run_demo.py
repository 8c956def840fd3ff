import re

from _utils import python


def test_main_job_prints_pair_vs_solo(digits_root, tmp_path):
    out = python('tools/run_demo.py', '--epochs', '2', '--work-dir',
                 str(tmp_path), '--data-root', str(digits_root))
    # progress: one line per epoch of each run
    for run in ('pair', 'solo cnn', 'solo trans'):
        assert re.search(rf'\[{run}\] epoch +2 ', out), out
    table = out[out.index('Top-1 (%)'):]
    rows = {}
    for branch in ('cnn', 'trans'):
        match = re.search(rf'^{branch} +([\d.]+) +([\d.]+) +([+-][\d.]+)$',
                          table, re.M)
        assert match, table
        solo, pair, change = map(float, match.groups())
        assert abs(pair - solo - change) < 0.011
        rows[branch] = (solo, pair)
    # two epochs on the real digits already beat chance (10%)
    assert max(max(v) for v in rows.values()) > 10
    for name in ('pair', 'solo_cnn', 'solo_trans'):
        assert (tmp_path / name / 'epoch_2.pth').exists()


def test_rejects_too_few_epochs():
    import subprocess
    import sys

    from _utils import ROOT
    proc = subprocess.run(
        [sys.executable, f'{ROOT}/tools/run_demo.py', '--epochs', '1'],
        capture_output=True,
        text=True)
    assert proc.returncode == 2 and '--epochs must be >= 2' in proc.stderr
