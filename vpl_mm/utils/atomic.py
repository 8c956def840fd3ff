"""Write files so that a crash never leaves a half-written one behind."""
import os
import os.path as osp
import tempfile
from typing import IO, Callable, Union

from mmengine.fileio import LocalBackend, register_backend


def current_umask() -> int:
    """The process umask (reading it means setting it; set back at once)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: str, write: Callable[[IO[bytes]], None]) -> None:
    """Write ``path`` through a temporary file in the same folder, then
    rename it into place: readers see the old file or the whole new one.

    The file gets the mode a plain ``open()`` would give it under the
    process umask (``tempfile.mkstemp`` creates it owner-only, 0600).

    Args:
        path (str): Target file.
        write (callable): Called with the open binary temporary file.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        dir=folder, prefix=f'.{osp.basename(path)}.', suffix='.tmp')
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, 'wb') as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if osp.exists(tmp):
            os.remove(tmp)
        raise


@register_backend('atomic_local')
class AtomicLocalBackend(LocalBackend):
    """MMEngine's local file backend, with atomic ``put``/``put_text``.

    Select it with ``backend_args=dict(backend='atomic_local')`` (what
    :class:`SafeCheckpointHook` does).
    """

    def put(self, obj: bytes, filepath: Union[str, os.PathLike]) -> None:
        atomic_write(str(filepath), lambda f: f.write(obj))

    def put_text(self,
                 obj: str,
                 filepath: Union[str, os.PathLike],
                 encoding: str = 'utf-8') -> None:
        self.put(obj.encode(encoding), filepath)
