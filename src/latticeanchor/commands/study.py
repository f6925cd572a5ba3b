"""`latticeanchor study`: write a commented study file to start from (``study init NAME``) or print
the study format (``study keys``, a Markdown table rendered from ``screen.config.STUDY_KEYS``)."""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("study", help="write a commented study TOML to edit (study init NAME)",
                       description="Study files for `latticeanchor screen`.")
    inner = p.add_subparsers(dest="study_command", metavar="SUBCOMMAND")
    init = inner.add_parser("init", help="write NAME.toml (every key with its unit, range and meaning); never overwrites")
    init.add_argument("name", help="study name (letters, digits, . _ -); the file is NAME.toml in this folder")
    inner.add_parser("keys", help="print every study key (type, unit, default, valid range) as a Markdown table")
    p.set_defaults(func=run, _parser=p)


def run(args) -> int:
    import os

    from latticeanchor.errors import LatticeAnchorError
    from latticeanchor.screen.config import check_name, keys_markdown, study_template

    if args.study_command == "keys":
        print(keys_markdown(), end="")
        return 0
    if args.study_command != "init":
        args._parser.print_help()
        return 1
    name = args.name[:-5] if args.name.endswith(".toml") else args.name
    check_name(name, "study name")
    path = f"{name}.toml"
    from latticeanchor.atomic import check_target

    check_target(path, "study file")  # control characters, a link or special file, an unwritable folder
    if os.path.lexists(path):
        raise LatticeAnchorError(f"{path} exists; not overwritten (choose another name or remove it)")
    text = study_template(name)
    import tempfile

    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path}.", suffix=".toml", dir=".")
    except OSError as exc:
        raise LatticeAnchorError(f"cannot write study file {path!r}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        try:  # link, not rename: refuses to overwrite, without a check-then-write race
            os.link(tmp, path)
        except FileExistsError:
            raise LatticeAnchorError(f"{path} exists; not overwritten (choose another name or remove it)") from None
    finally:
        os.unlink(tmp)
    print(f"# wrote {path}: edit it, then run `latticeanchor screen {path}`")
    return 0
