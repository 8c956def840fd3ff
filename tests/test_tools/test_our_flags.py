"""Our flags on MMPretrain's tools: their parser takes them and -h lists
them; --tensorboard without TensorBoard installed says how to get it."""
import importlib.util
import sys

import pytest
from mmengine.config import Config

from vpl_mm.utils import ConfigError
from vpl_mm.utils.launch import (OUR_FLAGS, add_our_flags, add_tensorboard,
                                 load_mmpretrain_tool)


@pytest.mark.parametrize('name', ['train', 'test'])
def test_help_lists_every_flag_we_add(name, monkeypatch, capsys):
    tool = load_mmpretrain_tool(name)
    add_our_flags(tool, name)
    monkeypatch.setattr(sys, 'argv', [f'{name}.py', '-h'])
    with pytest.raises(SystemExit) as info:
        tool.parse_args()
    out = capsys.readouterr().out
    assert info.value.code == 0 and '--work-dir' in out  # the stock flags
    for flag, text in OUR_FLAGS[name]:
        assert f'[{flag}]' in out  # in the usage line
        assert ' '.join(text.split()[:3]) in ' '.join(out.split())
    # and they parse
    args = ['cfg.py'] + (['ckpt.pth'] if name == 'test' else [])
    monkeypatch.setattr(sys, 'argv',
                        [f'{name}.py', *args, *dict(OUR_FLAGS[name])])
    parsed = vars(tool.parse_args())
    assert all(parsed[flag[2:].replace('-', '_')]
               for flag, _ in OUR_FLAGS[name])


def test_tensorboard_missing_is_our_hint(monkeypatch):
    find = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, 'find_spec', lambda n, *a: None
        if n == 'tensorboard' else find(n, *a))
    with pytest.raises(
            ConfigError,
            match=r'^--tensorboard needs TensorBoard: pip install '
            r'"vpl_mm\[tensorboard\]"'):
        add_tensorboard(Config(dict()))
