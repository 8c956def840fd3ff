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


def crafted_files(folder):
    """Files a careless or hostile user may pass as a checkpoint, with the
    phrase our error must give for each."""
    import pickle
    good = folder / 'good.pth'
    torch.save(dict(state_dict={'w': torch.ones(2)}), good)
    data = good.read_bytes()
    files = {
        'empty.pth': (b'', 'the file is empty'),
        'text.pth': (b'epoch = 3\nloss = 0.5\n', 'not a PyTorch checkpoint'),
        'random.pth': (bytes(
            np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8)),
                       'not a PyTorch checkpoint'),
        'truncated.pth': (data[:len(data) // 2], 'truncated or damaged'),
    }
    for name, (content, _) in files.items():
        (folder / name).write_bytes(content)
    torch.save(torch.zeros(3), folder / 'tensor.pth')
    files['tensor.pth'] = (None, 'holds a Tensor, not a checkpoint dict')
    torch.save(dict(meta={}, weights={'w': 1}), folder / 'nostate.pth')
    files['nostate.pth'] = (None, 'holds no `state_dict`')
    marker = folder / 'ran'

    class Exploit:

        def __reduce__(self):
            return (os.system, (f'touch {marker}', ))

    import os
    torch.save(dict(state_dict={}, meta=Exploit()), folder / 'exploit.pth')
    files['exploit.pth'] = (None, 'it needs posix.system, which is not')
    with open(folder / 'raw_pickle.pth', 'wb') as f:  # not torch.save's
        pickle.dump(dict(state_dict={}, meta=Exploit()), f, protocol=2)
    files['raw_pickle.pth'] = (None, 'it needs posix.system')
    return files, marker


def test_crafted_files_are_named_in_one_line(tmp_path):
    from vpl_mm.utils import CheckpointError, read_checkpoint
    files, marker = crafted_files(tmp_path)
    for name, (_, phrase) in files.items():
        path = str(tmp_path / name)
        with pytest.raises(CheckpointError) as info:
            read_checkpoint(path)
        message = str(info.value)
        assert message.startswith(f'checkpoint {path}: '), message
        assert phrase in message, (name, message)
        assert '\n' not in message and 'weights_only' not in message
        # no chained torch error: the named error is the last word
        assert info.value.__cause__ is None and (
            info.value.__context__ is None or info.value.__suppress_context__)
    assert not marker.exists()  # no code from a file ran
    with pytest.raises(CheckpointError, match='none.pth: no such file'):
        read_checkpoint(str(tmp_path / 'none.pth'))


def test_mmengine_reader_reads_what_it_read_before(tmp_path):
    # The global change `import vpl_mm` makes to every config's checkpoint
    # reading: the same objects as MMEngine's own load_from_local for every
    # file that one reads (whatever their form: a config of someone else's
    # may load a checkpoint that is not ours), errors in one line, a missing
    # file still a FileNotFoundError.
    from mmengine.runner.checkpoint import CheckpointLoader, load_from_local

    from vpl_mm.utils import CheckpointError
    reader = CheckpointLoader._get_checkpoint_loader(str(tmp_path / 'x.pth'))
    for name, obj in (('tensor', torch.arange(3)),
                      ('model', dict(model={'w': torch.ones(2)},
                                     epoch=3)), ('runner', None)):
        path = str(tmp_path / f'{name}.pth')
        if obj is None:
            runner_like_checkpoint(path)
        else:
            torch.save(obj, path)
        ours, stock = reader(path, 'cpu'), load_from_local(path, 'cpu')
        assert type(ours) is type(stock)
        if torch.is_tensor(ours):
            assert torch.equal(ours, stock)
        else:
            assert ours.keys() == stock.keys()
    with pytest.raises(FileNotFoundError) as info:
        reader(str(tmp_path / 'none.pth'), 'cpu')
    assert isinstance(info.value, CheckpointError)


def test_good_files_load_in_every_format(tmp_path):
    from vpl_mm.utils import load_checkpoint_file
    state = {'w': torch.arange(3.)}
    torch.save(dict(state_dict=state), tmp_path / 'zip.pth')
    torch.save(
        dict(state_dict=state),
        tmp_path / 'legacy.pth',
        _use_new_zipfile_serialization=False)
    torch.save(state, tmp_path / 'plain.pth')  # a bare state dict
    for name in ('zip.pth', 'legacy.pth'):
        loaded = load_checkpoint_file(str(tmp_path / name))
        torch.testing.assert_close(loaded['state_dict']['w'], state['w'])
    torch.testing.assert_close(
        load_checkpoint_file(str(tmp_path / 'plain.pth'))['w'], state['w'])


def test_mmengine_reads_local_files_through_it(tmp_path):
    # resume, load_from, test and the DIS teacher all read through
    # mmengine's _load_checkpoint
    from mmengine.runner.checkpoint import _load_checkpoint

    from vpl_mm.utils import CheckpointError
    (tmp_path / 'empty.pth').write_bytes(b'')
    with pytest.raises(CheckpointError, match='the file is empty'):
        _load_checkpoint(str(tmp_path / 'empty.pth'), map_location='cpu')


def test_check_fits_names_keys_each_way_and_nonfinite_tensors():
    from vpl_mm.utils import CheckpointError, check_fits
    model = {'a': torch.zeros(2), 'b': torch.zeros(3), 'c': torch.zeros(1)}
    with pytest.raises(CheckpointError) as info:
        check_fits(
            {
                'a': torch.zeros(2),
                'b': torch.zeros(4),
                'x': torch.zeros(1)
            }, model, 'f.pth', 'M')
    assert str(info.value) == (
        "checkpoint f.pth does not fit M (missing ['c'], unexpected ['x'], "
        "wrong shape ['b'])")
    bad = dict(model, b=torch.tensor([0., float('nan'), 1.]))
    bad['c'] = torch.tensor([float('inf')])
    with pytest.raises(
            CheckpointError, match=r'non-finite weights .* in b, c$'):
        check_fits(bad, model, 'f.pth', 'M')
    check_fits(model, model, 'f.pth', 'M')  # fits: no error
