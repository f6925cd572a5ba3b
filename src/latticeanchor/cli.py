"""Command-line entry point: a thin argparse layer over the library.

Each sub-command lives in ``latticeanchor.commands.<name>`` and exposes ``add_parser(subparsers)``,
which registers its arguments and sets ``func(args) -> int``. Library errors (LatticeAnchorError) are
printed as one line on stderr and exit with status 2; no traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from latticeanchor import __version__
from latticeanchor.errors import LatticeAnchorError

COMMANDS = ("screen", "mismatch", "build", "xrd")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="latticeanchor",
        description="Lattice anchoring of CsPbBr_xI_(3-x) perovskites by PbS/PbSe quantum dots.",
    )
    parser.add_argument("--version", action="version", version=f"latticeanchor {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"latticeanchor.commands.{name}")
        except ModuleNotFoundError as exc:  # a command whose module is not there yet
            if exc.name == f"latticeanchor.commands.{name}":
                continue
            raise
        module.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 1
    try:
        return int(args.func(args) or 0)
    except LatticeAnchorError as exc:
        print(f"latticeanchor {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        print(f"latticeanchor {args.command}: error: {exc.strerror}: {exc.filename}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"latticeanchor {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
