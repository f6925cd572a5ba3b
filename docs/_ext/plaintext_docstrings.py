"""Make the package's plain-text docstrings valid reStructuredText for autodoc.

The docstrings are written for ``help()``: math such as ``|ε|`` and hanging indents of wrapped
argument descriptions. Read as RST these become substitution references and unexpected
indentation, which ``-W`` turns into errors. This ``autodoc-process-docstring`` hook changes only
the markup, never the words: ``|`` outside inline literals is escaped, a wrapped line that is
indented deeper than the line it continues is joined to it, and a blank line is put where an
indented block ends. Literal blocks (a paragraph ending in ``::``) are left untouched.
"""

from __future__ import annotations

import re

_LITERAL = re.compile(r"(``.+?``)")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _escape_pipes(line: str) -> str:
    parts = _LITERAL.split(line)
    return "".join(p if p.startswith("``") and p.endswith("``") and len(p) > 4 else p.replace("|", r"\|")
                   for p in parts)


_SECTION = re.compile(r"^(Parameters|Returns|Yields|Raises|Notes|Examples|Attributes|See Also|References)$")
_PARAM = re.compile(r"^([A-Za-z_][\w, /*]*?) : (.+)$")


def numpy_sections(lines: list[str]) -> list[str]:
    """NumPy-style 'Parameters' + underline -> a rubric; 'name : text' entries -> bullet items."""
    out: list[str] = []
    in_section = False
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if _SECTION.match(line.strip()) and set(nxt.strip()) == {"-"} and _indent(line) == 0:
            out += [f".. rubric:: {line.strip()}", ""]
            in_section = True
            i += 2
            continue
        m = _PARAM.match(line) if in_section and _indent(line) == 0 else None
        if m:
            out.append(f"* ``{m.group(1)}``: {m.group(2)}")
        elif in_section and line.strip() and _indent(line) > 0 and out and out[-1].startswith("* "):
            out.append("  " + line.strip())     # continuation of the item
        else:
            out.append(line)
        i += 1
    return out


def sanitize(lines: list[str]) -> list[str]:
    lines = numpy_sections(lines)
    out: list[str] = []
    literal_indent = None  # indent of the paragraph that opened a literal block
    pending_literal = None
    for raw in lines:
        line = raw.rstrip()
        stripped = line.strip()
        if literal_indent is not None:
            if not stripped or _indent(line) > literal_indent:
                out.append(line)
                continue
            literal_indent = None
            if out and out[-1].strip():
                out.append("")
        if pending_literal is not None and stripped:
            if _indent(line) > pending_literal and out and not out[-1].strip():
                literal_indent = pending_literal
                pending_literal = None
                out.append(line)
                continue
            pending_literal = None
        if not stripped:
            out.append("")
            continue
        prev = out[-1] if out else ""
        if prev.strip():
            if _indent(line) > _indent(prev) and not prev.endswith("::") and not stripped.startswith(("* ", "- ")):
                out[-1] = prev + " " + _escape_pipes(stripped)
                if out[-1].endswith("::"):
                    pending_literal = _indent(out[-1])
                continue
            if _indent(line) < _indent(prev):
                out.append("")
        line = _escape_pipes(line)
        out.append(line)
        if line.endswith("::"):
            pending_literal = _indent(line)
    return out


def process_docstring(app, what, name, obj, options, lines):
    lines[:] = sanitize(lines)


def setup(app):
    app.connect("autodoc-process-docstring", process_docstring)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
