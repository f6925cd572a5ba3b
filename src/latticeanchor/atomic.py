"""Atomic file writing: write to a temporary file in the target folder, then rename."""

from __future__ import annotations

import contextlib
import glob
import os
import re
import tempfile
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None):
    """Yield a temporary path beside ``path``; on success rename it onto ``path``, else delete it.

    The temporary name keeps the target's suffix (writers that pick a format by suffix still work).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix if suffix is not None else path.suffix,
                               dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def json_default(obj, lenient: bool = True):
    """``json.dumps`` fallback: numpy scalars and arrays to Python, paths to str; anything else becomes
    ``str(obj)`` when ``lenient``, else raises TypeError."""
    import numpy as np

    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path) or lenient:
        return str(obj)
    raise TypeError(f"not JSON serializable: {type(obj).__name__}")


def write_json(path, obj, indent: int | None = 2, sort_keys: bool = False, lenient: bool = True) -> Path:
    """Write ``obj`` as JSON (numpy values converted, see ``json_default``) to ``path`` atomically."""
    import functools
    import json

    text = json.dumps(obj, indent=indent, sort_keys=sort_keys,
                      default=functools.partial(json_default, lenient=lenient))
    return write_text(path, text + "\n")


def check_target(path, what: str = "output file", suffixes: tuple[str, ...] | None = None) -> Path:
    """Refuse an output path that cannot be written, before any work: empty, a directory, a folder
    component that is a regular file, a suffix not in ``suffixes`` (lower-case, with dot), or a
    special file (pipe, device). Raises LatticeAnchorError; returns the Path."""
    import stat

    from latticeanchor.errors import LatticeAnchorError

    text = str(path)
    if not text.strip():
        raise LatticeAnchorError(f"{what}: empty path")
    if "\x00" in text:
        raise LatticeAnchorError(f"{what}: path contains a NUL character")
    path = Path(text)
    if path.is_dir() or text.endswith(("/", os.sep)):
        raise LatticeAnchorError(f"{what} {text!r} is a directory; give a file name")
    if path.exists() and not stat.S_ISREG(path.stat().st_mode):
        raise LatticeAnchorError(f"{what} {text!r} exists and is not a regular file")
    if suffixes is not None and path.suffix.lower() not in suffixes:
        raise LatticeAnchorError(f"{what} {text!r}: unsupported suffix {path.suffix or '(none)'!r}; "
                                 f"use one of {', '.join(suffixes)}")
    check_folder(path.parent, what)
    return path


def check_folder(folder, what: str = "output folder") -> Path:
    """Refuse a folder path whose existing part is not a folder (e.g. a regular file in the way)."""
    from latticeanchor.errors import LatticeAnchorError

    folder = Path(folder)
    for part in (folder, *folder.parents):
        if part.exists():
            if not part.is_dir():
                raise LatticeAnchorError(f"{what}: {str(part)!r} is not a folder")
            if not os.access(part, os.W_OK | os.X_OK):
                raise LatticeAnchorError(f"{what}: folder {str(part)!r} is not writable")
            break
    return folder


_TEMP_TAIL = re.compile(r"^[a-z0-9_]{8}$")  # tempfile.mkstemp's random part


def stale_temporaries(path) -> list[Path]:
    """Temporary files ``atomic_path`` leaves beside ``path`` when the process is killed (``kill -9``):
    ``.<name>.<8 random chars><suffix>``. Only names of exactly that form are returned."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    head, suffix = f".{path.name}.", path.suffix
    found = []
    for cand in path.parent.glob(f".{glob.escape(path.name)}.*"):
        name = cand.name
        middle = name[len(head):len(name) - len(suffix)] if suffix else name[len(head):]
        if name.startswith(head) and name.endswith(suffix) and _TEMP_TAIL.match(middle) and cand.is_file():
            found.append(cand)
    return sorted(found)
