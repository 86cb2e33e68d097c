"""Writing files safely: atomically (all or nothing) and owner-only where they hold names.

Every writer of the planner (plan files, forms, maps, reports, station files) goes through
:func:`atomic_path`, so a crash or a full disk never leaves half a file behind.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | Path, *, private: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it over ``path``.

    On any exception the temporary file is removed and ``path`` is left as it was.
    ``private`` makes the file owner-only (0600), for files that hold personal data.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL want to create the file themselves
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        if private:
            os.chmod(tmp_path, 0o600)
        _fsync(tmp_path)  # the bytes are on disk before the name points at them (power cuts)
        os.replace(tmp_path, path)
        _fsync(path.parent)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp_path.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
