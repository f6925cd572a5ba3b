"""Class counts of the hostile tables (issue 21): ``python tests/hostile_classes.py [api|cli]``.

Each API case runs in a forked child (``tests/test_api_hostile.py``'s harness); each CLI case of
``tests/test_cli_hostile.py`` runs as its own ``python -m latticeanchor.cli`` process in a fresh folder, with
a 120 s limit. Classes: ok (the expected one-line refusal), wrong message, traceback / exception (a raw
exception), internal error (CLI exit 1), nan/inf, accepted (silent acceptance: exit 0 or a return value),
wrote (refused but a file changed), hang. Run it against any checkout of the package by PYTHONPATH; the
tables are read from this file's folder.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def api_counts():
    import test_api_hostile as t

    counts, rows = collections.Counter(), []
    for name, call, needle in t.CASES:
        with tempfile.TemporaryDirectory() as tmp:
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                kind, text, seconds = t.run_case(call)
            finally:
                os.chdir(cwd)
        cls = t.classify(kind, text, needle)
        counts[cls] += 1
        rows.append((name, cls, f"{seconds:.1f}s", text.replace("\n", " ")[:140]))
        print(f"# {name}: {cls}", file=sys.stderr, flush=True)
    return counts, rows


def cli_counts(timeout: float = 120.0):
    import test_cli_hostile as t

    counts, rows = collections.Counter(), []
    for name, argv, needle, setup in t.CASES:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            try:
                if setup is not None:
                    setup(tmp)
            except BaseException as exc:  # pytest.skip (a device node needs root)
                rows.append((name, "skipped", "", str(exc)[:80]))
                continue
            argv = [a.replace("{study}", "study.toml") for a in argv]
            if any("\x00" in a for a in argv):  # a process argument cannot carry NUL (the pytest table runs it in-process)
                rows.append((name, "skipped", "", "NUL in argv"))
                continue
            before = t._snapshot(tmp)
            try:
                proc = subprocess.run([sys.executable, "-m", "latticeanchor.cli", *argv], cwd=tmp, capture_output=True,
                                      text=True, errors="replace", timeout=timeout, stdin=subprocess.DEVNULL)
            except subprocess.TimeoutExpired:
                counts["hang"] += 1
                rows.append((name, "hang", f">{timeout:g}s", ""))
                continue
            err, out = proc.stderr.strip(), proc.stdout
            if "Traceback" in err:
                cls = "traceback"
            elif proc.returncode == 1 or "internal error" in err:
                cls = "internal error"
            elif proc.returncode == 0:
                cls = "nan/inf" if re.search(r"\b(nan|inf)\b", out) else "accepted"
            elif proc.returncode == 2 and len(err.splitlines()) == 1:
                try:
                    changed = t._snapshot(tmp) != before
                except OSError:  # a path the old code made that cannot be listed back
                    changed = True
                cls = "wrote" if changed else ("ok" if needle in err else "wrong message")
            else:
                cls = f"exit {proc.returncode}"
            counts[cls] += 1
            rows.append((name, cls, "", err.splitlines()[-1][:140] if err else ""))
            print(f"# {name}: {cls} {rows[-1][3]}", file=sys.stderr, flush=True)
    return counts, rows


if __name__ == "__main__":
    which = sys.argv[1:] or ["api", "cli"]
    for table in which:
        counts, rows = api_counts() if table == "api" else cli_counts()
        for row in rows:
            if row[1] != "ok":
                print(f"  {table} {row[0]:<40} {row[1]:<14} {row[2]:>6} {row[3]}", flush=True)
        print(f"{table}: {sum(counts.values())} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
