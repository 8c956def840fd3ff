import importlib.util
import json
import os
import os.path as osp
import subprocess
import sys

import pytest

from vpl_mm.visualization import plot, read_curves

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOL = osp.join(ROOT, 'tools/analysis/plot_curves.py')

PNG = b'\x89PNG\r\n\x1a\n'


def write_run(work_dir, timestamp, records):
    vis = work_dir / timestamp / 'vis_data'
    vis.mkdir(parents=True)
    with open(vis / 'scalars.json', 'w') as f:
        for record in records:
            f.write(json.dumps(record) + '\n')


@pytest.fixture
def pair_run(tmp_path):
    run = tmp_path / 'vpl'
    train = dict(lr=1e-3, loss=2.0, epoch=1, iter=10, step=10)
    write_run(run, '20260101_000000', [
        train,
        {
            'cnn/accuracy/top1': 50.0,
            'trans/accuracy/top1': 40.0,
            'step': 1
        },
        {
            'cnn/accuracy/top1': 60.0,
            'trans/accuracy/top1': 45.0,
            'step': 2
        },
    ])
    # resumed from epoch 1: the second log's epoch 2 wins
    write_run(run, '20260102_000000', [
        {
            'cnn/accuracy/top1': 61.0,
            'trans/accuracy/top1': 46.0,
            'step': 2
        },
        {
            'cnn/accuracy/top1': 70.0,
            'trans/accuracy/top1': 55.0,
            'step': 3
        },
    ])
    return run


def test_read_curves_per_branch_across_resumes(pair_run, tmp_path):
    assert read_curves(str(pair_run)) == {
        'cnn': [(1, 50.0), (2, 61.0), (3, 70.0)],
        'trans': [(1, 40.0), (2, 46.0), (3, 55.0)],
    }
    solo = tmp_path / 'solo'
    write_run(solo, 't', [{
        'accuracy/top1': 9.0,
        'accuracy/top5': 30.0,
        'step': 1
    }])
    assert read_curves(str(solo)) == {'': [(1, 9.0)]}
    assert read_curves(str(solo), 'accuracy/top5') == {'': [(1, 30.0)]}


def test_errors_name_the_work_dir(tmp_path):
    with pytest.raises(FileNotFoundError, match='not a work dir'):
        read_curves(str(tmp_path))
    write_run(tmp_path / 'x', 't', [dict(loss=1.0, step=1)])
    with pytest.raises(ValueError, match="logged no 'accuracy/top1'"):
        read_curves(str(tmp_path / 'x'))


def test_plot_writes_a_png(tmp_path):
    out = plot({'a cnn': [(1, 1.0), (2, 2.0)]},
               str(tmp_path / 'p.png'),
               bands={'a cnn': [0.5, 0.1]})
    with open(out, 'rb') as f:
        assert f.read(8) == PNG


def test_cli_legend_names_run_and_branch(pair_run, tmp_path, monkeypatch):
    spec = importlib.util.spec_from_file_location('plot_curves', TOOL)
    plot_curves = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(plot_curves)
    drawn = {}
    monkeypatch.setattr(plot_curves, 'plot',
                        lambda lines, out, **kw: drawn.update(lines) or out)
    plot_curves.main([str(pair_run), '--labels', 'VPL', '--out', 'x.png'])
    assert sorted(drawn) == ['VPL cnn', 'VPL trans']
    # and for real, from the command line
    out = tmp_path / 'curves.png'
    subprocess.run([sys.executable, TOOL,
                    str(pair_run), '--out',
                    str(out)],
                   env=dict(os.environ, PYTHONPATH=ROOT),
                   check=True)
    with open(out, 'rb') as f:
        assert f.read(8) == PNG


def test_one_epoch_run_draws_a_visible_point(tmp_path):
    """A single-point curve must leave coloured pixels (a line without
    markers draws nothing)."""
    import numpy as np
    from PIL import Image
    out = str(tmp_path / 'one.png')
    plot({'run trans': [(1, 50.0)]}, out)
    img = np.asarray(Image.open(out).convert('RGB')).astype(int)
    # tab10's first colour, (31, 119, 180): present beyond the legend entry
    blue = (abs(img - [31, 119, 180]).sum(-1) < 40).sum()
    assert blue > 60, blue
