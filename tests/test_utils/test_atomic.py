import os
import subprocess
import sys
import textwrap

import pytest

from vpl_mm.utils import AtomicLocalBackend, atomic_write


def test_replaces_whole_file(tmp_path):
    path = tmp_path / 'ckpt.pth'
    AtomicLocalBackend().put(b'old', path)
    AtomicLocalBackend().put_text('new', path)
    assert path.read_bytes() == b'new'
    assert os.listdir(tmp_path) == ['ckpt.pth']


def test_failed_write_keeps_old_file(tmp_path):
    path = tmp_path / 'ckpt.pth'
    path.write_bytes(b'old')

    def write(f):
        f.write(b'half')
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        atomic_write(str(path), write)
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['ckpt.pth']


KILLED_WHILE_WRITING = textwrap.dedent('''
    import os, signal, sys
    from mmengine.fileio import LocalBackend
    from vpl_mm.utils import AtomicLocalBackend
    atomic = sys.argv[2] == 'atomic'
    backend = AtomicLocalBackend() if atomic else LocalBackend()

    import builtins
    real_open = builtins.open
    def dying_open(*args, **kwargs):
        f = real_open(*args, **kwargs)
        write = f.write
        def half_then_die(data):
            write(data[:len(data) // 2])
            f.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        f.write = half_then_die
        return f
    os.fdopen = lambda fd, mode: dying_open(fd, mode)
    builtins.open = dying_open
    backend.put(b'x' * 1000000, sys.argv[1])
''')


@pytest.mark.parametrize('backend,survives', [('atomic', True),
                                              ('stock', False)])
def test_sigkill_while_writing(tmp_path, backend, survives):
    path = tmp_path / 'epoch_3.pth'
    path.write_bytes(b'previous complete checkpoint')
    proc = subprocess.run(
        [sys.executable, '-c', KILLED_WHILE_WRITING,
         str(path), backend],
        capture_output=True)
    assert proc.returncode == -9
    intact = path.read_bytes() == b'previous complete checkpoint'
    assert intact == survives


@pytest.mark.parametrize('umask,mode', [(0o022, 0o644), (0o077, 0o600)])
def test_mode_follows_the_umask_like_open(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        atomic_write(str(tmp_path / 'ckpt.pth'), lambda f: f.write(b'x'))
        AtomicLocalBackend().put_text('y', tmp_path / 'last_checkpoint')
        (tmp_path / 'plain').write_bytes(b'z')  # what open() gives
    finally:
        os.umask(old)
    for name in ('ckpt.pth', 'last_checkpoint', 'plain'):
        assert (tmp_path / name).stat().st_mode & 0o777 == mode, name
