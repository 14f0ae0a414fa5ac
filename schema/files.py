"""Read a file a spec names (the spec itself, a connection list) without the traps of ``open().read()``.

A FIFO, a terminal or a device as a spec (``snnrun /dev/stdin``, ``mkfifo spec.yaml``) would block
forever or never end, a file name with a NUL character makes ``open()`` raise ValueError, and a huge
file would be read whole before its size is known. :func:`read_bounded` opens without blocking, accepts
regular files only, and reads at most one byte more than the limit.
"""

from __future__ import annotations

import os
import stat


class FileProblem(Exception):
    """A file cannot be used. ``reason`` says why in words (no errno, no path: the caller names the file);
    ``str()`` is ``"cannot read the file: <reason>"`` or, for ``too_large``, ``"file is larger than ..."``."""

    def __init__(self, reason: str, too_large: bool = False):
        self.reason, self.too_large = reason, too_large
        super().__init__(reason if too_large else f"cannot read the file: {reason}")


def size_text(n_bytes: int) -> str:
    """``10485760 -> '10 MiB'``; other sizes in bytes."""
    return f"{n_bytes >> 20} MiB" if n_bytes and n_bytes % 2**20 == 0 else f"{n_bytes} bytes"


def read_bounded(path: str, max_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them, or :class:`FileProblem`."""
    if "\0" in path:
        raise FileProblem("its name contains a NUL character")
    try:
        # O_NONBLOCK: opening a FIFO for reading must not wait for a writer (it has no effect on files)
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise FileProblem(exc.strerror or str(exc)) from None
    except ValueError as exc:  # a path the platform cannot represent
        raise FileProblem(str(exc)) from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = ("a folder" if stat.S_ISDIR(mode) else "a FIFO (named pipe)" if stat.S_ISFIFO(mode)
                    else "a device" if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) else "a socket"
                    if stat.S_ISSOCK(mode) else "a special file")
            raise FileProblem(f"it is {kind}, not a regular file")
        chunks, left = [], max_bytes + 1
        while left > 0:
            chunk = os.read(fd, min(left, 2**22))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
    except OSError as exc:
        raise FileProblem(exc.strerror or str(exc)) from None
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise FileProblem(f"file is larger than {size_text(max_bytes)}", too_large=True)
    return data
