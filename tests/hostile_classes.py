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
    for label, group in sorted(t.GROUPS.items()):  # the systematic table: one forked child per function
        with tempfile.TemporaryDirectory() as tmp:
            cwd = os.getcwd()
            os.chdir(tmp)
            try:
                classes = t.systematic_classes(group)
            finally:
                os.chdir(cwd)
        for name, (cls, text) in classes.items():
            counts[cls] += 1
            rows.append((name, cls, "", text.replace("\n", " ")[:140]))
        print(f"# {label}: " + ", ".join(f"{k} {v}" for k, v in sorted(collections.Counter(
            c for c, _ in classes.values()).items())), file=sys.stderr, flush=True)
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


def cli_class(code, err: str, out: str, needle: str, t, tmp: Path, before) -> str:
    """The class of one CLI outcome (exit ``code``, stripped stderr ``err``, stdout ``out``): traceback,
    internal error, nan/inf or accepted (exit 0), wrote (refused but the folder changed), ok / wrong message
    (a one-line refusal naming ``needle`` or not), or 'exit N'."""
    if "Traceback" in err:
        return "traceback"
    if code == 1 or "internal error" in err:
        return "internal error"
    if code == 0:
        return "nan/inf" if re.search(r"\b(nan|inf)\b", out) else "accepted"
    if code == 2 and len(err.splitlines()) == 1:
        try:
            changed = t._snapshot(tmp) != before
        except OSError:  # a path the old code made that cannot be listed back
            changed = True
        return "wrote" if changed else ("ok" if needle.lower() in err.lower() else "wrong message")
    return f"exit {code}"


def systematic_counts(t, counts, rows, timeout: float) -> None:
    """The systematic CLI table, in-process (``main(argv)``, as the tests run it), a SIGALRM limit per case."""
    import contextlib
    import io
    import signal

    class Hang(Exception):
        pass

    def alarm(*_):
        raise Hang()

    old = signal.signal(signal.SIGALRM, alarm)
    cwd = os.getcwd()
    try:
        for name, argv, needle, setup in t.SYSTEMATIC:
            with tempfile.TemporaryDirectory() as tmp:
                tmp = Path(tmp)
                os.chdir(tmp)
                try:
                    if setup is not None:
                        setup(tmp)
                except BaseException as exc:  # pytest.skip (a device node needs root)
                    rows.append((name, "skipped", "", str(exc)[:80]))
                    os.chdir(cwd)
                    continue
                before = t._snapshot(tmp)
                err, out, cls, code = io.StringIO(), io.StringIO(), None, None
                signal.setitimer(signal.ITIMER_REAL, timeout)
                try:
                    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
                        try:
                            code = t.main(argv)
                        except SystemExit as exc:
                            code = exc.code
                except Hang:
                    cls = "hang"
                except BaseException as exc:  # noqa: BLE001
                    cls = "traceback"
                    err.write(f"{type(exc).__name__}: {exc}")
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                    os.chdir(cwd)
                text = err.getvalue().strip()
                if cls is None:
                    cls = cli_class(code, text, out.getvalue(), needle, t, tmp, before)
                counts[cls] += 1
                rows.append((name, cls, "", text.splitlines()[-1][:140] if text else ""))
                print(f"# {name}: {cls}", file=sys.stderr, flush=True)
    finally:
        signal.signal(signal.SIGALRM, old)


def cli_counts(timeout: float = 120.0):
    import test_cli_hostile as t

    counts, rows = collections.Counter(), []
    systematic_counts(t, counts, rows, timeout=30.0)
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
            err = proc.stderr.strip()
            cls = cli_class(proc.returncode, err, proc.stdout, needle, t, tmp, before)
            counts[cls] += 1
            rows.append((name, cls, "", err.splitlines()[-1][:140] if err else ""))
            print(f"# {name}: {cls} {rows[-1][3]}", file=sys.stderr, flush=True)
    return counts, rows


if __name__ == "__main__":
    args = sys.argv[1:]
    write = "--write-known-open" in args  # rewrite tests/hostile_known_open.txt: the open cases of the systematic tables
    which = [a for a in args if not a.startswith("--")] or ["api", "cli"]
    summary, still_open = [], []
    for table in which:
        counts, rows = api_counts() if table == "api" else cli_counts()
        for row in rows:
            if row[1] not in ("ok", "skipped"):
                print(f"  {table} {row[0]:<40} {row[1]:<14} {row[2]:>6} {row[3]}", flush=True)
                if ":" in row[0]:  # a systematic case (the hand-written tables must pass outright)
                    still_open.append(f"{table}\t{row[0]}\t{row[1]}")
        summary.append(f"{table}: {sum(counts.values())} cases: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    print("\n".join(summary))
    if write:
        path = HERE / "hostile_known_open.txt"
        kept = [line for line in (path.read_text(encoding="utf-8").splitlines() if path.is_file() else [])
                if line.strip() and not line.startswith("#") and line.split("\t")[0] not in which]
        still_open += kept  # the tables not run this time keep their lines
        path.write_text(
            "# cases of the systematic hostile tables still open (issue 21): table, case id, class; written by\n"
            "# python tests/hostile_classes.py --write-known-open. The tests fail on any other failure, and on a\n"
            "# listed case that passes (strike it).\n" + "".join(line + "\n" for line in sorted(still_open)),
            encoding="utf-8")
