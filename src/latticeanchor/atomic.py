"""Atomic file writing and the one output-path guard.

Every writer goes through :func:`atomic_path` (write to a temporary file in the target folder, then
rename); every command checks its output paths with :func:`check_target` / :func:`check_folder`
*before* the work. The guard refuses what a rename would destroy or what cannot be written: an empty
path, control characters (newline, tab, NUL, ...), a ``~`` that cannot be expanded (a leading ``~`` is
expanded, never a literal folder named ``~``), a directory, a symbolic link or a special file (device,
pipe, socket: ``-o /dev/null`` run as root must not replace the device node), a folder component that
is a file, a folder that does not exist (no folder is created for a mistyped path), a folder that is not
writable. Errors name the user's path, never the hidden temporary.
"""

from __future__ import annotations

import contextlib
import errno
import glob
import os
import re
import stat
import tempfile
from pathlib import Path

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_NAME_MAX = 255  # bytes per path component (Linux, macOS); the temporary adds ~10 bytes
_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO,
                 errno.ENAMETOOLONG, errno.ENOENT, errno.ENOTDIR, errno.EISDIR}


def _error(text: str):
    from latticeanchor.errors import LatticeAnchorError

    return LatticeAnchorError(text)


def clean_path(path, what: str = "output file") -> Path:
    """The user's path checked as text: a str or os.PathLike, not empty, no control character, a leading
    ``~`` / ``~user`` expanded (refused when it cannot be). Raises LatticeAnchorError; returns the Path."""
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise _error(f"{what}: expected a path (str or pathlib.Path), got {type(path).__name__}")
    text = os.fspath(path)
    if not isinstance(text, str):
        raise _error(f"{what}: expected a text path, got {type(text).__name__}")
    if not text.strip():
        raise _error(f"{what}: empty path")
    bad = _CONTROL.search(text)
    if bad:
        raise _error(f"{what} {text!r}: path contains a control character ({bad.group()!r}); rename it")
    if text.startswith("~"):
        expanded = os.path.expanduser(text)
        if expanded.startswith("~"):
            raise _error(f"{what} {text!r}: cannot expand {text.split('/')[0]!r} (no such user); give the full path")
        text = expanded
    return Path(text)


def _refuse_existing(path: Path, shown: str, what: str) -> None:
    """Refuse a target that a rename would destroy: a directory, a symbolic link or a special file."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        if exc.errno in (errno.ENOTDIR, errno.ENAMETOOLONG, errno.ELOOP):
            return  # reported by the folder check / the write
        raise _error(f"{what} {shown!r}: {exc.strerror}") from None
    if stat.S_ISLNK(st.st_mode):
        raise _error(f"{what} {shown!r} is a symbolic link; not replaced (give the real path)")
    if stat.S_ISDIR(st.st_mode):
        raise _error(f"{what} {shown!r} is a directory; give a file name")
    if not stat.S_ISREG(st.st_mode):
        raise _error(f"{what} {shown!r} exists and is not a regular file (device, pipe or socket); not replaced")


def guard_target(path, what: str = "output file") -> Path:
    """What every write checks (also at rename time): :func:`clean_path`, then refuse a directory, a
    symbolic link or a special file at ``path`` and a file name too long for the temporary."""
    shown = str(path)
    path = clean_path(path, what)
    if str(path).endswith(("/", os.sep)) or path.name in ("", ".", ".."):
        raise _error(f"{what} {shown!r} is a directory; give a file name")
    if len(os.fsencode(path.name)) > _NAME_MAX - 24:
        raise _error(f"{what} {shown!r}: file name longer than {_NAME_MAX - 24} bytes")
    _refuse_existing(path, shown, what)
    return path


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None, what: str = "output file"):
    """Yield a temporary path beside ``path``; on success rename it onto ``path``, else delete it.

    The target is guarded (:func:`guard_target`) before the temporary is made and again just before the
    rename; a failed write (disk full, read-only folder, ...) raises LatticeAnchorError naming ``path``.
    The temporary name keeps the target's suffix (writers that pick a format by suffix still work).
    """
    shown = str(path)
    path = guard_target(path, what)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=suffix if suffix is not None else path.suffix,
                                   dir=path.parent)
    except OSError as exc:
        raise _error(f"cannot write {what} {shown!r}: {exc.strerror or exc}") from None
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp creates 0600; give the file the usual permissions
    try:
        yield Path(tmp)
        _refuse_existing(path, shown, what)  # something may have appeared there during the work
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        names = {str(tmp), os.path.basename(tmp), str(path)}
        if exc.errno in _WRITE_ERRNOS and (exc.filename is None or str(exc.filename) in names):
            raise _error(f"cannot write {what} {shown!r}: {exc.strerror or exc}") from None
        raise
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path, text: str, encoding: str = "utf-8") -> Path:
    """Write ``text`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return clean_path(path)


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
    """The one check of an output file path, before any work: :func:`guard_target` (control characters,
    ``~``, directory, symbolic link, special file), a suffix not in ``suffixes`` (lower-case, with dot),
    and :func:`check_folder` of its folder. Raises LatticeAnchorError; returns the (``~``-expanded) Path
    to write to."""
    shown = str(path)
    target = guard_target(path, what)
    if suffixes is not None and target.suffix.lower() not in suffixes:
        raise _error(f"{what} {shown!r}: unsupported suffix {target.suffix or '(none)'!r}; "
                     f"use one of {', '.join(suffixes)}")
    check_folder(target.parent, what, create=0, shown=shown)
    return target


def check_folder(folder, what: str = "output folder", create: int | None = None, shown: str | None = None) -> Path:
    """Refuse a folder whose nearest existing part is not a folder (e.g. a regular file in the way) or is
    not writable, and one with more than ``create`` missing levels (None: any number; the missing part is
    created by the write): ``create=0`` the folder must exist (an output file's folder), ``create=1`` its
    parent must (a results folder the command makes). ``shown``: the user's path named in the errors
    (default the folder). Returns the (``~``-expanded) Path."""
    shown = str(folder) if shown is None else shown
    folder = clean_path(folder, what)
    parts = (folder, *folder.parents)
    for missing, part in enumerate(parts):
        if part.exists():
            if not part.is_dir():
                raise _error(f"{what}: {str(part)!r} is not a folder")
            if not os.access(part, os.W_OK | os.X_OK):
                raise _error(f"{what}: folder {str(part)!r} is not writable")
            break
    else:
        missing = len(parts)
    if create is not None and missing > create:
        raise _error(f"{what} {shown!r}: folder {str(parts[create])!r} does not exist; create it first")
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
