import os.path as osp
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import vpl_mm  # noqa: F401  (allow-lists the checkpoint classes)


def runner_like_checkpoint(path):
    """What an MMEngine Runner checkpoint holds: message hub with history
    buffers, numpy scalars and arrays, optimizer state."""
    hub = MessageHub.get_instance('test_checkpoint')
    for i in range(3):
        hub.update_scalar('train/loss', 1.0 / (i + 1))
        hub.update_scalar('val/accuracy', np.float64(90.5 + i))
    hub.update_info('iter', 3)
    model = torch.nn.Linear(3, 2)
    opt = torch.optim.AdamW(model.parameters())
    model(torch.randn(4, 3)).sum().backward()
    opt.step()
    ckpt = dict(
        meta=dict(
            epoch=1,
            iter=3,
            seed=np.int64(0),
            hist=np.arange(4, dtype=np.int64)),
        state_dict=model.state_dict(),
        message_hub=hub.state_dict(),
        optimizer=opt.state_dict())
    torch.save(ckpt, path)
    return ckpt


def test_runner_checkpoint_loads_with_weights_only(tmp_path):
    path = str(tmp_path / 'ckpt.pth')
    saved = runner_like_checkpoint(path)
    loaded = torch.load(path)  # torch >= 2.6: weights_only=True
    buf = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buf, HistoryBuffer)
    assert buf.mean() == pytest.approx(np.mean([1, 1 / 2, 1 / 3]))
    assert loaded['meta']['seed'] == 0
    torch.testing.assert_close(loaded['state_dict'], saved['state_dict'])


def test_mmengine_load_checkpoint(tmp_path):
    from mmengine.runner import load_checkpoint
    path = str(tmp_path / 'ckpt.pth')
    saved = runner_like_checkpoint(path)
    model = torch.nn.Linear(3, 2)
    load_checkpoint(model, path)
    torch.testing.assert_close(model.state_dict(), saved['state_dict'])


def test_fails_without_vpl_mm(tmp_path):
    # The reference: stock torch refuses the same file, so the test above
    # really depends on our allow-list.
    path = str(tmp_path / 'ckpt.pth')
    runner_like_checkpoint(path)
    code = textwrap.dedent(f"""
        import torch
        try:
            torch.load({path!r})
        except Exception as e:
            print(type(e).__name__, 'Unsupported global' in str(e))
    """)
    out = subprocess.run([sys.executable, '-c', code],
                         capture_output=True,
                         text=True).stdout
    assert 'UnpicklingError True' in out


class GetattrOnHistoryBuffer:

    def __reduce__(self):
        return getattr, (HistoryBuffer, '__init__')


class RunsShell:

    def __reduce__(self):
        import os
        return os.system, ('touch pwned', )


@pytest.mark.parametrize('payload,match', [
    (GetattrOnHistoryBuffer(), 'Refusing getattr'),
    (RunsShell(), 'system'),
])
def test_foreign_objects_are_refused(tmp_path, monkeypatch, payload, match):
    monkeypatch.chdir(tmp_path)
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, meta=payload), path)
    with pytest.raises(Exception, match=match):
        torch.load(path)
    assert not osp.exists(tmp_path / 'pwned')
