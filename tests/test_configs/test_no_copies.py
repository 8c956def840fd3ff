"""Configs share by inheritance: few blocks of six or more lines stand to
the letter in two config files."""
import glob
import itertools
import os.path as osp

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
LINES = 6


def shared_blocks(files):
    """Maximal runs of >= LINES identical lines between two files."""
    text = {f: [line.rstrip() for line in open(f)] for f in files}
    blocks = []
    for a, b in itertools.combinations(files, 2):
        windows = {}
        for i in range(len(text[a]) - LINES + 1):
            windows.setdefault(tuple(text[a][i:i + LINES]), []).append(i)
        hits = {(i, j)
                for j in range(len(text[b]) - LINES + 1)
                for i in windows.get(tuple(text[b][j:j + LINES]), [])}
        # one block per diagonal run of matching windows
        blocks += [(a, i + 1, b, j + 1) for i, j in hits
                   if (i - 1, j - 1) not in hits]
    return blocks


def test_finds_a_copied_block(tmp_path):
    block = [f'x{i} = {i}\n' for i in range(7)]
    for name, head in (('a.py', ['a = 1\n']), ('b.py', ['b = 2\n', '\n'])):
        (tmp_path / name).write_text(''.join(head + block))
    (tmp_path / 'c.py').write_text(''.join(block[:5]))  # 5 lines: no block
    files = sorted(str(p) for p in tmp_path.glob('*.py'))
    assert shared_blocks(files) == [(files[0], 2, files[1], 3)]


def test_configs_share_by_inheritance():
    files = sorted(
        glob.glob(osp.join(ROOT, 'configs/**/*.py'), recursive=True))
    blocks = shared_blocks(files)
    assert len(blocks) <= 2, '\n'.join(
        f'{osp.relpath(a, ROOT)}:{i} = {osp.relpath(b, ROOT)}:{j}'
        for a, i, b, j in blocks)
