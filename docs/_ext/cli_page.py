"""Render ``--help`` of the command line and of every sub-command (Markdown), from the real parser."""

from __future__ import annotations

import argparse
import io
import os
from contextlib import redirect_stdout


def _help(parser: argparse.ArgumentParser) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        parser.print_help()
    return buf.getvalue().rstrip()


def render() -> str:
    from latticeanchor.cli import build_parser

    # Fixed width so the page does not depend on the terminal of the machine that builds it.
    os.environ["COLUMNS"] = "100"
    parser = build_parser()
    parts = ["<!-- generated at build time from latticeanchor.cli.build_parser(); do not edit -->", "",
             "```text", "$ latticeanchor --help", _help(parser), "```", ""]
    subactions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    for action in subactions:
        for name, sub in action.choices.items():
            parts += [f"## `latticeanchor {name}`", "", "```text", f"$ latticeanchor {name} --help", _help(sub),
                      "```", ""]
            nested = [a for a in sub._actions if isinstance(a, argparse._SubParsersAction)]
            for n_action in nested:
                for n_name, n_sub in n_action.choices.items():
                    parts += [f"### `latticeanchor {name} {n_name}`", "", "```text",
                              f"$ latticeanchor {name} {n_name} --help", _help(n_sub), "```", ""]
    return "\n".join(parts)
