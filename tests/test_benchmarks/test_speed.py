import json
import sys

from _utils import run

from benchmarks import speed


def test_runs_on_a_tiny_setting(digits_root, tmp_path):
    run([
        sys.executable, '-m', 'benchmarks.speed', '--settings', 'demo',
        '--rounds', '1', '--warmup', '0', '--epoch-rounds', '1',
        '--epoch-batches', '1', '--memory-steps', '1', '--data-root',
        str(digits_root), '--out',
        str(tmp_path)
    ])
    result = json.loads((tmp_path / 'speed.json').read_text())
    demo = result['settings']['demo']
    steps = demo['step_s']
    assert set(steps) == {'pair', 'cnn', 'trans', 'dml'}
    # the ratios are what the step times say
    assert demo['pair_vs_solos'] == steps['pair'] / (
        steps['cnn'] + steps['trans'])
    assert demo['dml_vs_vpl'] == steps['dml'] / steps['pair']
    assert 0 < demo['plm_s'] < steps['pair']
    assert all(v > 0 for v in demo['peak_mem_bytes'].values())
    assert result['epoch']['batches'] == 1
    text = (tmp_path / 'speed.md').read_text()
    assert '| pair / (CNN + ViT) step |' in text


def test_alternate_takes_medians_after_warm_up(monkeypatch):
    calls = []
    ticks = iter([5.0, 1.0, 3.0, 2.0, 4.0, 0.5, 1.0, 9.0])  # round 0: warm-up
    monkeypatch.setattr(speed, 'timed', lambda fn, device:
                        (fn(), next(ticks))[1])
    out = speed.alternate(
        {
            'a': lambda: calls.append('a'),
            'b': lambda: calls.append('b')
        },
        rounds=3,
        warmup=1,
        device='cpu')
    assert calls == ['a', 'b'] * 4  # in turn, each round
    assert out == {'a': 3.0, 'b': 2.0}  # medians of (3, 4, 1), (2, .5, 9)
