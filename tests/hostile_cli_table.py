"""The systematic part of the hostile CLI table (issue 21): every subcommand's flags fed each class of hostile
value (NaN, ±inf, negative, zero, a word for a number, an empty value, a value beyond the range or the work
budget, an unknown name, nm for Å), and every output flag fed each hostile path (a missing parent folder, a
directory, a device node like /dev/null, a symbolic link to a user's file, a dangling link, a control
character).

``cases()`` returns ``(id, argv, needle, setup)`` rows like ``test_cli_hostile.CASES``: exit 2, one stderr
line containing ``needle`` (case-insensitive; the flag's name), nothing written. /dev/null itself is never
the target (a failing guard would replace the machine's device node): a device node made in the case's folder
stands in for it (root only; skipped otherwise).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

NUMBER_WORDS = [("nan", "nan"), ("inf", "inf"), ("-inf", "-inf"), ("word", "abc"), ("empty", "")]
KINDS = {
    "x": NUMBER_WORDS + [("negative", "-1"), ("beyond", "4"), ("huge", "1e308")],
    "dnm": NUMBER_WORDS + [("negative", "-3"), ("zero", "0"), ("huge", "1e308"), ("A-for-nm", "35")],
    "frac": NUMBER_WORDS + [("negative", "-0.1"), ("beyond", "1.5"), ("percent", "10")],
    "pos": NUMBER_WORDS + [("negative", "-1"), ("zero", "0"), ("huge", "1e308")],
    "nonneg": NUMBER_WORDS + [("negative", "-1"), ("huge", "1e308")],
    "count": [("nan", "nan"), ("word", "abc"), ("empty", ""), ("float", "2.5"), ("negative", "-1"), ("zero", "0"),
              ("huge", "1" + "0" * 30)],
    "seed": [("nan", "nan"), ("word", "abc"), ("empty", ""), ("float", "2.5"), ("negative", "-1"),
             ("huge", "1" + "0" * 30)],
    "name": [("unknown", "Nope"), ("empty", ""), ("number", "5"), ("newline", "PbS\nx")],
    "wavelength": [("nan", "nan"), ("inf", "inf"), ("negative", "-1.54"), ("zero", "0"), ("huge", "1e308"),
                   ("unknown", "XyKa"), ("empty", "")],
}


def _dev(name: str):
    def setup(tmp: Path) -> None:
        if os.geteuid() != 0:
            import pytest

            pytest.skip("making a device node needs root")
        os.mknod(tmp / name, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    return setup


def _user_file(tmp: Path) -> None:
    (tmp / "file.txt").write_text("a user's file\n")


def _link(name: str, target: str):
    def setup(tmp: Path) -> None:
        _user_file(tmp)
        os.symlink(target, tmp / name)
    return setup


def _dir(name: str):
    def setup(tmp: Path) -> None:
        (tmp / name).mkdir()
    return setup


def _pattern(tmp: Path) -> None:
    import math

    x = [20 + 40 * i / 399 for i in range(400)]
    y = [100 + 1000 * math.exp(-((v - 30.1) / 0.1) ** 2) for v in x]
    (tmp / "m.xy").write_text("# wavelength 1.5406 A\n" + "".join(f"{a:.4f} {b:.3f}\n" for a, b in zip(x, y)))


def _both(*setups):
    def setup(tmp: Path) -> None:
        for s in setups:
            if s is not None:
                s(tmp)
    return setup


def _paths(suffix: str, folder: bool = False):
    """The hostile output paths for a flag writing ``*.suffix`` (or a folder)."""
    name = "res" if folder else f"o{suffix}"
    rows = [("missing-parent", f"nodir/{name}", "nodir", None),
            ("under-a-file", f"file.txt/{name}", "file.txt", _user_file),
            ("newline", f"o\n{name}", "control character", None),
            ("escape", f"o\x1b[31m{name}", "control character", None),
            ("empty", "", "empty", None),
            ("unknown-user", f"~no_such_user_21/{name}", "cannot expand", None)]
    if not folder:
        rows += [("directory", "adir", "is a directory", _dir("adir")),
                 ("dot", ".", "is a directory", None),
                 ("device", f"null{suffix}", "not a regular file", _dev(f"null{suffix}")),
                 ("symlink", name, "symbolic link", _link(name, "file.txt")),
                 ("dangling-symlink", name, "symbolic link", _link(name, "nowhere")),
                 ("fifo", name, "not a regular file", lambda tmp: os.mkfifo(tmp / name))]
    return rows


# (label, argv before the flag, the flag, kind, needle, setup)
FLAGS = [
    ("mismatch", ["mismatch"], "--x", "x", "x", None),
    ("mismatch", ["mismatch"], "--diameter", "dnm", "diameter", None),
    ("mismatch", ["mismatch"], "--max-points", "count", "max-points", None),
    ("mismatch", ["mismatch"], "--core", "name", "core", None),
    ("mismatch", ["mismatch"], "--dataset", "name", "dataset", None),
    ("mismatch", ["mismatch"], "--matrix", "name", "matrix", None),
    ("screen", ["screen"], "--x", "x", "x", None),
    ("screen", ["screen"], "--diameter", "dnm", "diameter", None),
    ("screen", ["screen"], "--loading", "frac", "loading", None),
    ("screen", ["screen"], "--core", "name", "core", None),
    ("screen", ["screen"], "--dataset", "name", "dataset", None),
    ("screen", ["screen"], "--target", "name", "target", None),
    ("screen", ["screen"], "--top", "count", "top", None),
    ("screen", ["screen"], "--seed", "seed", "seed", None),
    ("screen", ["screen"], "--max-points", "count", "max-points", None),
    ("screen", ["screen", "--relax-top", "1"], "--max-atoms", "count", "max-atoms", None),
    ("screen", ["screen", "--relax-top", "1"], "--cells", "count", "cells", None),
    ("screen", ["screen", "--relax-top", "1"], "--core-cells", "count", "core-cells", None),
    ("screen", ["screen", "--relax-top", "1"], "--workers", "count", "workers", None),
    ("screen", ["screen"], "--relax-top", "seed", "relax-top", None),
    ("build", ["build", "-o", "o.vasp"], "--diameter", "dnm", "diameter", None),
    ("build", ["build", "-o", "o.vasp"], "--x", "x", "x", None),
    ("build", ["build", "-o", "o.vasp"], "--size", "count", "size", None),
    ("build", ["build", "-o", "o.vasp"], "--clearance", "nonneg", "clearance", None),
    ("build", ["build", "-o", "o.vasp"], "--min-distance", "pos", "min-distance", None),
    ("build", ["build", "-o", "o.vasp"], "--seed", "seed", "seed", None),
    ("build", ["build", "-o", "o.vasp"], "--max-atoms", "count", "max-atoms", None),
    ("build", ["build", "-o", "o.vasp"], "--core", "name", "core", None),
    ("build", ["build", "-o", "o.vasp"], "--shape", "name", "shape", None),
    ("build", ["build", "-o", "o.vasp"], "--center", "name", "center", None),
    ("build", ["build", "-o", "o.vasp"], "--matrix", "name", "matrix", None),
    ("build", ["build", "-o", "o.vasp"], "--halide-order", "name", "halide-order", None),
    ("build", ["build", "-o", "o.vasp"], "--strain", "name", "strain", None),
    ("build", ["build", "-o", "o.vasp"], "--dataset", "name", "dataset", None),
    ("build", ["build", "-o", "o.vasp"], "--format", "name", "format", None),
    ("xrd-simulate", ["xrd", "simulate", "PbS"], "--wavelength", "wavelength", "wavelength", None),
    ("xrd-simulate", ["xrd", "simulate", "PbS"], "--step", "pos", "step", None),
    ("xrd-simulate", ["xrd", "simulate", "PbS"], "--fwhm", "pos", "fwhm", None),
    ("xrd-simulate", ["xrd", "simulate", "PbS"], "--max-points", "count", "max-points", None),
    ("xrd-simulate", ["xrd", "simulate", "PbS"], "--max-reflections", "count", "max-reflections", None),
    ("xrd-simulate", ["xrd", "simulate", "PbS", "--debye"], "--max-bins", "count", "max", None),
    ("xrd-compare", ["xrd", "compare", "m.xy", "--against", "PbS"], "--wavelength", "wavelength", "wavelength", _pattern),
    ("xrd-compare", ["xrd", "compare", "m.xy", "--against", "PbS"], "--max-rwp", "pos", "max-rwp", _pattern),
    ("xrd-compare", ["xrd", "compare", "m.xy", "--against", "PbS"], "--max-rows", "count", "max-rows", _pattern),
    ("xrd-compare", ["xrd", "compare", "m.xy", "--against", "PbS"], "--max-phases", "count", "max-phases", _pattern),
    ("xrd-compare", ["xrd", "compare", "m.xy"], "--against", "name", "against", _pattern),
    ("xrd-compare", ["xrd", "compare", "m.xy", "--against", "PbS"], "--x-unit", "name", "x-unit", _pattern),
    # `data` needs its action: without one argparse refused the missing positional before any flag was read
    ("data", ["data", "show"], "--dataset", "name", "dataset", None),
    ("data", ["data", "show"], "--matrix", "name", "matrix", None),
]

# (label, argv before the flag, the flag, suffix, folder?, setup)
OUTPUTS = [
    ("mismatch", ["mismatch"], "--csv", ".csv", False, None),
    ("mismatch", ["mismatch"], "--plot", ".png", False, None),
    ("screen", ["screen"], "--out", "", True, None),
    ("build", ["build"], "-o", ".vasp", False, None),
    ("xrd-simulate", ["xrd", "simulate", "PbS"], "-o", ".xy", False, None),
    ("xrd-simulate", ["xrd", "simulate", "PbS"], "--plot", ".png", False, None),
    ("xrd-compare", ["xrd", "compare", "m.xy", "--against", "PbS"], "--json", ".json", False, _pattern),
    ("xrd-compare", ["xrd", "compare", "m.xy", "--against", "PbS"], "--plot", ".png", False, _pattern),
    ("data", ["data", "template"], "-o", ".json", False, None),  # -o is template's output
]

# (id, argv, needle): the classes on the inputs (positional files and ranges)
EXTRA = [
    ("xrd-simulate:--range=nan", ["xrd", "simulate", "PbS", "--range", "nan", "90"], "range"),
    ("xrd-simulate:--range=inf", ["xrd", "simulate", "PbS", "--range", "5", "inf"], "range"),
    ("xrd-simulate:--range=negative", ["xrd", "simulate", "PbS", "--range", "-5", "90"], "range"),
    ("xrd-simulate:--range=beyond", ["xrd", "simulate", "PbS", "--range", "5", "200"], "range"),
    ("xrd-simulate:--range=word", ["xrd", "simulate", "PbS", "--range", "a", "b"], "range"),
    ("xrd-simulate:structure=empty", ["xrd", "simulate", ""], "structure"),
    ("xrd-simulate:structure=newline", ["xrd", "simulate", "PbS\nx"], "structure"),
    ("xrd-compare:pattern=missing", ["xrd", "compare", "nothere.xy", "--against", "PbS"], "nothere.xy"),
    ("xrd-compare:pattern=empty", ["xrd", "compare", "", "--against", "PbS"], "pattern"),
    ("study-init:name=empty-unicode-space", ["study", "init", "\u3000"], "not a plain name"),
]


def cases():
    rows = []
    for label, before, flag, kind, needle, setup in FLAGS:
        for cls, value in KINDS[kind]:
            rows.append((f"{label}:{flag}={cls}", [*before, flag, value], needle, setup))
    for label, before, flag, suffix, folder, setup in OUTPUTS:
        for cls, path, needle, path_setup in _paths(suffix, folder):
            rows.append((f"{label}:{flag}={cls}", [*before, flag, path], needle, _both(setup, path_setup)))
    for name, argv, needle in EXTRA:
        rows.append((name, argv, needle, _pattern if "compare" in name else None))
    return rows
