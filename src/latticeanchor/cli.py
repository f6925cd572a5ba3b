"""Command-line entry point: a thin argparse layer over the library.

Each sub-command lives in ``latticeanchor.commands.<name>`` and exposes ``add_parser(subparsers)``,
which registers its arguments and sets ``func(args) -> int``. Only the module of the command being
run is imported (``latticeanchor --help`` stays fast: no numpy/scipy).

Exit status: 0 success; 2 bad input (LatticeAnchorError, an unreadable/unwritable file, a bad
argument), printed as ONE line on stderr, no traceback; 1 an internal error (one line; the
traceback with ``--verbose``); 130 interrupted; 141 stdout closed early (``| head``).
Third-party warnings (CHGNet, torch, pymatgen, ...) are hidden unless ``--verbose``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from latticeanchor import __version__
from latticeanchor.errors import LatticeAnchorError

# command -> one-line help shown by `latticeanchor --help` (without importing the command's module)
COMMANDS = {
    "screen": "rank matrix compositions for lattice anchoring (main job)",
    "study": "write a commented study TOML to edit (study init NAME)",
    "mismatch": "lattice mismatch and dislocation onset of cores in CsPbBr_xI_(3-x)",
    "build": "build a quantum-dot-in-perovskite structure for DFT/MLIP relaxations",
    "xrd": "simulate X-ray powder patterns and compare with measured ones",
    "data": "show the reference values in use, or write them as a materials file to edit",
}


class OneLineParser(argparse.ArgumentParser):
    """ArgumentParser whose errors are one line on stderr (exit 2), not usage + error."""

    def error(self, message: str):  # noqa: D401 - argparse API
        message = " ".join(str(message).split())
        self.exit(2, f"{self.prog}: error: {message}\n")


def _command_in(argv: list[str]) -> str | None:
    for token in argv:
        if token == "--":
            return None
        if not token.startswith("-"):
            return token if token in COMMANDS else None
    return None


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The CLI parser. ``only``: import and register just that command (the others get a help stub;
    ``""``: stubs only, for ``latticeanchor --help``); None registers every command in full."""
    parser = OneLineParser(
        prog="latticeanchor",
        description="Lattice anchoring of CsPbBr_xI_(3-x) perovskites by PbS/PbSe quantum dots.",
    )
    parser.add_argument("--version", action="version", version=f"latticeanchor {__version__}")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="show third-party warnings and the traceback of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, text in COMMANDS.items():
        if only is not None and name != only:
            sub.add_parser(name, help=text, add_help=False)
            continue
        try:
            module = importlib.import_module(f"latticeanchor.commands.{name}")
        except ModuleNotFoundError as exc:  # a command whose module is not there yet
            if exc.name == f"latticeanchor.commands.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def _quiet_third_party(child_processes: bool) -> None:
    """Hide warnings and chatter of third-party libraries (shown again with --verbose);
    ``child_processes``: also for processes started from here (dask workers inherit the environment)."""
    import logging
    import warnings

    warnings.filterwarnings("ignore")
    if child_processes:
        os.environ.setdefault("PYTHONWARNINGS", "ignore")
    for name in ("chgnet", "torch", "pymatgen", "ase", "matplotlib", "distributed", "numba"):
        logging.getLogger(name).setLevel(logging.ERROR)


def _stdout_closed() -> int:
    """stdout's reader went away (``| head``): silence the final flush, exit like a killed writer."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):  # pragma: no cover - stdout replaced in-process
        pass
    return 141


def _say(command: str | None, text: str) -> None:
    text = " ".join(str(text).split()) or "unknown error"
    print(f"latticeanchor{' ' + command if command else ''}: error: {text}", file=sys.stderr)


def _os_error_text(exc: OSError) -> str:
    name = exc.filename if exc.filename is not None else ""
    reason = exc.strerror or str(exc)
    return f"{reason}: {name}" if name != "" else reason


def main(argv: list[str] | None = None) -> int:
    from_shell = argv is None
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(only=_command_in(argv) or "")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # a bad flag (one line already printed, status 2) or --help (0): return it
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    verbose = bool(getattr(args, "verbose", False) or getattr(args, "verbose_sub", False))
    if not verbose:
        _quiet_third_party(child_processes=from_shell)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    command = args.command
    try:
        status = int(args.func(args) or 0)
        sys.stdout.flush()
        return status
    except BrokenPipeError:
        return _stdout_closed()
    except LatticeAnchorError as exc:
        _say(command, exc)
    except (UnicodeError, OverflowError) as exc:
        _say(command, f"{type(exc).__name__}: {exc}")
    except MemoryError:
        _say(command, "out of memory: the request is too large (reduce the grid or the sizes)")
    except OSError as exc:
        _say(command, _os_error_text(exc))
    except KeyboardInterrupt:
        print(f"latticeanchor {command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, not a traceback, unless --verbose
        if verbose:
            raise
        _say(command, f"internal error {type(exc).__name__}: {exc} (rerun with --verbose for the traceback)")
        return 1
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
