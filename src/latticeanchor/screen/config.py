"""Screening-study configuration: TOML in, a validated nested dict out.

Every problem (unknown key, wrong type, empty range, x outside [0, 3], loading ≥ the packing limit)
raises LatticeAnchorError with one line naming the key, e.g. ``grid.loading.stop: 0.7 ≥ 0.64``.
"""

from __future__ import annotations

import copy
import hashlib
import json
import math
import os
import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from latticeanchor import data, geometry, strain
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.validate import DIAMETER_NM_RANGE, dot_diameter_nm

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

NUMBER = (int, float)
RANGE = "range"  # {start, stop, step} table or a list of numbers

DEFAULT_MAX_POINTS = 2_000_000  # grid points a study may have unless study.max_points / --max-points says more
MAX_MAX_POINTS = 10 ** 12  # no override of the budget goes beyond this (a table of 10^12 rows is ~100 TB)
DEFAULT_MAX_TOTAL_POINTS = 10_000_000_000  # grid points of a chunked (distributed) study; chunks ≤ max_points
MAX_CONFIG_BYTES = 1_000_000  # a study file is a few hundred bytes; refuse megabytes of anything
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class StudyKey:
    """One key of the study TOML: its type, default, unit, valid range (numbers: ``low``/``high``,
    ``low_open``/``high_open`` for strict bounds; strings: ``choices``) and a one-line meaning.
    ``example`` is what ``study init`` writes for a key without a default."""

    section: str
    name: str
    kind: object
    default: object
    unit: str = ""
    doc: str = ""
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple = ()
    example: object = None

    @property
    def dotted(self) -> str:
        return f"{self.section}.{self.name}"

    def valid_text(self) -> str:
        """The valid range in words (for messages and the docs table)."""
        if self.choices:
            return " | ".join(self.choices)
        if self.low is None and self.high is None:
            return ""
        lo = "" if self.low is None else f"{self.low:g} {'<' if self.low_open else '≤'} "
        hi = "" if self.high is None else f" {'<' if self.high_open else '≤'} {self.high:g}"
        return f"{lo}value{hi}"

    def check(self, values, where: str | None = None) -> None:
        """Raise LatticeAnchorError naming the key when a value is outside the valid range."""
        where = where or self.dotted
        if self.choices:
            if values not in self.choices:
                raise LatticeAnchorError(f"{where}: {values!r} is not one of {', '.join(self.choices)}")
            return
        arr = np.atleast_1d(np.asarray(values, dtype=float))
        if not np.all(np.isfinite(arr)):
            raise LatticeAnchorError(f"{where}: values must be finite numbers, got {arr[~np.isfinite(arr)][0]:g}")
        for v in arr:
            too_low = self.low is not None and (v <= self.low if self.low_open else v < self.low)
            too_high = self.high is not None and (v >= self.high if self.high_open else v > self.high)
            if too_low or too_high:
                unit = f" {self.unit}" if self.unit and self.unit not in ("-", "") else ""
                raise LatticeAnchorError(f"{where}: {v:g}{unit} is outside the valid range {self.valid_text()}")


MAX_TOP = 10_000  # ranked candidates written and printed (the whole table is candidates.csv)


_GAP = "dot band-gap window [low, high] (eV) of the score's gap term"
STUDY_KEYS: tuple[StudyKey, ...] = (
    StudyKey("study", "name", str, "study", "", "plain name (letters, digits, . _ -; no path): results go to "
             "./latticeanchor-results/<name>/"),
    StudyKey("study", "description", str, "", "", "free text"),
    StudyKey("study", "dataset", str, None, "", "reference dataset of latticeanchor.data (default: the package default)"),
    StudyKey("study", "materials", str, None, "", "a materials JSON file (latticeanchor data template -o FILE) used "
             "instead of study.dataset; a relative path is taken from the working directory"),
    StudyKey("study", "seed", int, 0, "", "seed of the built structures' random halide placement", low=0),
    StudyKey("study", "top", int, 10, "", "number of candidates in ranked.csv (and printed)", low=1, high=MAX_TOP),
    StudyKey("study", "max_points", int, DEFAULT_MAX_POINTS, "grid points",
             "work budget: refuse a grid of more points (matrices × cores × x × diameters × loadings × T)", low=1),
    StudyKey("study", "max_total_points", int, DEFAULT_MAX_TOTAL_POINTS, "grid points",
             "work budget of a chunked run (screen --workers/--scheduler): refuse a grid of more points; "
             "study.max_points then bounds each chunk", low=1),
    StudyKey("grid", "cores", list, ["PbS"], "", "rock-salt dot cores: PbS, PbSe, PbTe or alloys like PbS0.5Se0.5 / "
             "PbSe0.5Te0.5 (a core without a cited sizing curve, PbTe, is screened with its dot gap not evaluated: "
             "named in not_evaluated, earning 0)",
             example=["PbS", "PbSe"]),
    StudyKey("grid", "matrices", list, None, "", "matrix alloys screened side by side, e.g. [\"CsPb(Br,I)3\", "
             "\"FAPb(Br,I)3\", \"MAPb(Br,I)3\"] (known: the dataset's matrices block; CsPb(Cl,Br)3 too); unset: the "
             "dataset's default matrix only, CsPb(Br,I)3, and no matrix column. When given, the tables gain a matrix "
             "column, x is each matrix's first-named halide, and terms without data for a matrix (anchoring and "
             "lifetime without the kinetic model, selectivity without the δ table) are left empty, named in "
             "not_evaluated and earn 0"),
    StudyKey("grid", "x", RANGE, None, "first-named halide per formula unit (Br)", "matrix composition x of "
             "CsPbBr_xI_(3-x) (of each matrix in grid.matrices: its first-named halide)",
             low=0.0, high=3.0, example={"start": 0.0, "stop": 3.0, "step": 0.05}),
    StudyKey("grid", "diameter_nm", RANGE, None, "nm", "dot diameter", low=DIAMETER_NM_RANGE[0],
             high=DIAMETER_NM_RANGE[1], example={"start": 2.5, "stop": 5.0, "step": 0.5}),
    StudyKey("grid", "loading", RANGE, None, "volume fraction", "dot volume fraction (0.1 = 10 vol%); "
             "below the arrangement's packing limit", low=0.0, high=0.74, high_open=True,
             example={"start": 0.0, "stop": 0.30, "step": 0.01}),
    StudyKey("grid", "temperatures", list, [298.15], "K", "temperatures (storage, anneal)", low=0.0, high=2000.0,
             low_open=True, example=[298.15, 473.15]),
    StudyKey("model", "arrangement", str, "random", "", "dot arrangement for spacing ↔ loading",
             choices=("random", "sc", "fcc")),
    StudyKey("model", "target_gap_eV", list, [1.1, 1.3], "eV", _GAP, low=0.0, high=10.0),
    StudyKey("objective", "target", str, "tandem-top-cell", "", "what the screen ranks for: tandem-top-cell "
             "(lowest-gap matrix the dots keep α), cqd-passivation (lattice-matched matrix that the dots anchor), "
             "lifetime (longest lifetime the dots give); every target scores the anchoring gain",
             choices=("tandem-top-cell", "cqd-passivation", "lifetime")),
    StudyKey("objective", "matrix_gap_eV", list, [1.70, 1.85], "eV", "matrix band-gap window [low, high] of the "
             "tandem-top-cell target (the matrix's own gap with bowing)", low=0.0, high=10.0),
    StudyKey("objective", "lifetime_target_h", NUMBER, 4380.0, "h", "lifetime a film must reach at every study "
             "temperature (default six months); sets the anchoring gain and the critical loading", low=0.0,
             high=1e7, low_open=True),
    StudyKey("score", "anchoring", NUMBER, None, "-", "weight of the anchoring gain ln(L/L0)/ln(L_target/L0) "
             "(default: the target's)", low=0.0, high=1e6),
    StudyKey("score", "lifetime", NUMBER, None, "-", "weight of the log lifetime term (default: the target's)",
             low=0.0, high=1e6),
    StudyKey("score", "matrix_gap", NUMBER, None, "-", "weight of the matrix-gap window term (default: the "
             "target's)", low=0.0, high=1e6),
    StudyKey("score", "passivation", NUMBER, None, "-", "weight of the lattice-match passivation term, "
             "exp[-ln2 (ε/0.5 %)²] from Liu et al. Fig. 4e (default: the target's)", low=0.0, high=1e6),
    StudyKey("score", "dot_gap", NUMBER, None, "-", "weight of the dot-gap-in-window term (model.target_gap_eV; "
             "default: the target's)", low=0.0, high=1e6),
    StudyKey("score", "selectivity", NUMBER, None, "-", "weight of the α-over-δ registry selectivity (default: "
             "the target's)", low=0.0, high=1e6),
    StudyKey("score", "tolerance", NUMBER, None, "-", "weight of the smooth Bartel-τ term (default: the target's)",
             low=0.0, high=1e6),
    StudyKey("score", "processing", NUMBER, None, "-", "weight of the processing term (1 up to 15 vol%, falling "
             "above: smaller grains at 20 vol%; default: the target's)", low=0.0, high=1e6),
    StudyKey("output", "format", str, "auto", "", "candidates table: csv, parquet (pyarrow, the parquet extra; "
             "units in the schema), or auto: Parquet above 10⁶ points when pyarrow is installed, else CSV",
             choices=("auto", "csv", "parquet")),
    StudyKey("build", "structures", int, 3, "", "build the top-N hybrids as POSCAR + CIF", low=0, high=100),
    StudyKey("build", "max_atoms", int, 50000, "atoms", "atom budget of a built hybrid: built at the candidate's "
             "loading when it fits, else the largest cell that fits (the file name gives the loading built)",
             low=1, high=10_000_000),
    StudyKey("build", "halide_order", str, "random", "", "halide placement of built hybrids",
             choices=("random", "sqs")),
)
KEYS_BY_NAME = {k.dotted: k for k in STUDY_KEYS}

# key -> (type, default); nested tables are dicts (derived from STUDY_KEYS, kept for callers)
SCHEMA: dict = {}
for _k in STUDY_KEYS:
    SCHEMA.setdefault(_k.section, {})[_k.name] = (_k.kind, _k.default)


def _toml_value(value) -> str:
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def keys_markdown() -> str:
    """The study format as a Markdown table (section.key, type, unit, default, valid range, meaning),
    rendered from ``STUDY_KEYS``: the same data the validator checks against."""
    lines = ["| key | type | unit | default | valid | meaning |", "|---|---|---|---|---|---|"]
    for k in STUDY_KEYS:
        default = "required" if k.default is None and k.kind is RANGE else (
            "package default" if k.default is None else f"`{_toml_value(k.default)}`")
        cells = [f"`{k.dotted}`", _type_name(k.kind), k.unit if k.unit != "-" else "", default, k.valid_text(),
                 k.doc]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines) + "\n"


def study_template(name: str) -> str:
    """A commented study TOML (every key, its unit, valid range and meaning), rendered from ``STUDY_KEYS``."""
    check_name(name, "study name")
    out = [f"# latticeanchor study {name!r}: edit, then run `latticeanchor screen {name}.toml`.",
           "# Every key is optional except grid.x, grid.diameter_nm and grid.loading; units are in the key or the comment.",
           "# A range is { start = a, stop = b, step = c } (stop included) or a list [a, b, c]."]
    section = None
    for k in STUDY_KEYS:
        if k.section != section:
            section = k.section
            out.append(f"\n[{section}]")
        value = name if k.dotted == "study.name" else (k.example if k.example is not None else k.default)
        if value is None:
            out.append(f"# {k.name} = ...".ljust(42) + f"  # {k.doc}")
            continue
        comment = "; ".join(p for p in (k.unit if k.unit != "-" else "", k.valid_text(), k.doc) if p)
        out.append(f"{k.name} = {_toml_value(value)}".ljust(42) + f"  # {comment}")
    return "\n".join(out) + "\n"


def check_name(name, what: str = "study.name") -> str:
    """A plain name (it becomes a folder name): letters, digits, '.', '_', '-'; no path, not '.'/'..'."""
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or set(name) <= {"."}:
        raise LatticeAnchorError(f"{what}: {name!r} is not a plain name (letters, digits, . _ -; at most 64 "
                                 "characters; no '/' or path)")
    return name


def read_study_text(path) -> str:
    """The text of a study file: a regular, UTF-8 file of at most ``MAX_CONFIG_BYTES`` (a pipe, a
    directory, a device, binary or Latin-1 text are refused with one line)."""
    import stat

    path = Path(path)
    try:
        st = path.stat()
    except OSError as exc:
        raise LatticeAnchorError(f"config {str(path)!r}: {exc.strerror}") from None
    if stat.S_ISDIR(st.st_mode):
        raise LatticeAnchorError(f"config {str(path)!r} is a directory, not a study TOML file")
    if not stat.S_ISREG(st.st_mode):
        raise LatticeAnchorError(f"config {str(path)!r} is not a regular file (a pipe or device); save the study to a file")
    if st.st_size > MAX_CONFIG_BYTES:
        raise LatticeAnchorError(f"config {str(path)!r} is {st.st_size:,} bytes; a study file is at most "
                                 f"{MAX_CONFIG_BYTES:,} bytes")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise LatticeAnchorError(f"config {str(path)!r}: {exc.strerror}") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LatticeAnchorError(f"config {str(path)!r} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                                 f"{exc.start}); save it as UTF-8") from None


def parse_toml(text: str, source="config") -> dict:
    """TOML text -> dict; any parse problem is one LatticeAnchorError line."""
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LatticeAnchorError(f"config {source}: not valid TOML: {' '.join(str(exc).split())}") from None
    except (RecursionError, MemoryError):
        raise LatticeAnchorError(f"config {source}: not valid TOML: nested too deeply") from None


def studies_dir():
    """Folder of the studies shipped with the package (copies of the repository's workflows/)."""
    return resources.files("latticeanchor.screen").joinpath("studies")


def shipped_studies() -> list[str]:
    """Names of the studies shipped with the package."""
    return sorted(p.name[:-5] for p in studies_dir().iterdir() if p.name.endswith(".toml"))


def load_raw(source=None) -> dict:
    """The unvalidated study dict of a TOML path, a shipped study name, a dict, or None (default)."""
    if source is None:
        source = "default"
    if isinstance(source, dict):
        return copy.deepcopy(source)
    text_source = str(source)
    if not text_source.strip() or "\x00" in text_source:
        raise LatticeAnchorError(f"config source {text_source!r}: not a file name")
    path = Path(text_source)
    if os.path.lexists(path):
        return parse_toml(read_study_text(path), text_source)
    if NAME_PATTERN.match(text_source) and text_source in shipped_studies():
        return parse_toml(studies_dir().joinpath(f"{text_source}.toml").read_text(encoding="utf-8"), text_source)
    raise LatticeAnchorError(f"config source {text_source!r} is neither a file nor a shipped study "
                             f"({', '.join(shipped_studies())})")


def load_config(source=None, max_points: int | None = None, chunked: bool = False) -> dict:
    """Read and validate a study: a TOML path, a study name shipped with the package, a dict, or None
    (default). ``max_points`` overrides ``study.max_points`` (the grid-size budget)."""
    return validate(load_raw(source), max_points=max_points, chunked=chunked)


def _type_name(t) -> str:
    return {NUMBER: "number", RANGE: "range {start, stop, step} or list"}.get(t, getattr(t, "__name__", str(t)))


def _check_type(key: str, value, kind):
    if kind is NUMBER:
        ok = isinstance(value, NUMBER) and not isinstance(value, bool)
    elif kind is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif kind is RANGE:
        ok = isinstance(value, (dict, list))
    else:
        ok = isinstance(value, kind)
    if not ok:
        raise LatticeAnchorError(f"{key}: expected {_type_name(kind)}, got {type(value).__name__} {value!r}")


def expand_range(key: str, spec, max_points: int = DEFAULT_MAX_POINTS) -> np.ndarray:
    """{start, stop, step} (stop included) or a list -> sorted unique float array; errors name ``key``.

    Non-finite numbers are refused and the number of points is computed (and refused above
    ``max_points``) before anything is allocated."""
    if isinstance(spec, list):
        if not spec:
            raise LatticeAnchorError(f"{key}: empty list")
        if len(spec) > max_points:
            raise LatticeAnchorError(f"{key}: {len(spec):,} values, more than the budget of {max_points:,} points")
        for v in spec:
            _check_type(f"{key}[]", v, NUMBER)
        values = np.asarray(spec, float)
    else:
        unknown = set(spec) - {"start", "stop", "step"}
        if unknown:
            raise LatticeAnchorError(f"{key}: unknown key {sorted(unknown)[0]!r} (use start, stop, step)")
        for part in ("start", "stop", "step"):
            if part not in spec:
                raise LatticeAnchorError(f"{key}.{part}: missing")
            _check_type(f"{key}.{part}", spec[part], NUMBER)
            if not math.isfinite(float(spec[part])):
                raise LatticeAnchorError(f"{key}.{part}: must be a finite number, got {spec[part]!r}")
        start, stop, step = float(spec["start"]), float(spec["stop"]), float(spec["step"])
        if step <= 0:
            raise LatticeAnchorError(f"{key}.step: must be > 0, got {step:g}")
        if stop < start:
            raise LatticeAnchorError(f"{key}: empty range, stop {stop:g} < start {start:g}")
        ratio = (stop - start) / step
        if not math.isfinite(ratio) or ratio + 1 > max_points:
            raise LatticeAnchorError(f"{key}: {ratio + 1:.3g} points, more than the budget of {max_points:,} "
                                     "(a coarser step, or raise study.max_points / --max-points)")
        n = int(np.floor(ratio + 1e-9)) + 1
        values = np.round(start + step * np.arange(n), 12)
    if not np.all(np.isfinite(values)):
        raise LatticeAnchorError(f"{key}: values must be finite")
    return np.unique(values)


def validate(raw: dict, max_points: int | None = None, chunked: bool = False) -> dict:
    """Fill defaults, check types and physical ranges (from ``STUDY_KEYS``) and the grid-size budget
    (``study.max_points``, or ``max_points`` when given; ``chunked``: the grid against
    ``study.max_total_points``, each chunk then ≤ ``study.max_points``); return the validated config."""
    if not isinstance(raw, dict):
        raise LatticeAnchorError("config must be a table of tables")
    cfg: dict = {}
    for section in raw:
        if section not in SCHEMA:
            raise LatticeAnchorError(f"{section}: unknown section (known: {', '.join(SCHEMA)})")
        if not isinstance(raw[section], dict):
            raise LatticeAnchorError(f"{section}: expected a table")
    for section, fields in SCHEMA.items():
        given = raw.get(section, {})
        for key in given:
            if key not in fields:
                raise LatticeAnchorError(f"{section}.{key}: unknown key (known: {', '.join(fields)})")
        cfg[section] = {}
        for key, (kind, default) in fields.items():
            if key in given and given[key] is None and default is None and kind is not RANGE:
                cfg[section][key] = None  # an optional key left unset (a validated study validates again)
            elif key in given:
                _check_type(f"{section}.{key}", given[key], kind)
                cfg[section][key] = copy.deepcopy(given[key])
            elif default is None and kind is RANGE:
                raise LatticeAnchorError(f"{section}.{key}: missing (a range {{start, stop, step}} or a list)")
            else:
                cfg[section][key] = copy.deepcopy(default)

    study, grid, model, objective, build = (cfg[k] for k in ("study", "grid", "model", "objective", "build"))
    if max_points is not None:
        from latticeanchor.validate import integer

        study["max_points"] = integer("max_points (grid points)", max_points, 1, MAX_MAX_POINTS)
    # every scalar key with a stated valid range is checked from its STUDY_KEYS entry
    for k in STUDY_KEYS:
        value = cfg[k.section][k.name]
        if value is not None and k.kind in (int, NUMBER, str) and (k.choices or k.low is not None or k.high is not None):
            k.check(value)
    check_name(study["name"])
    materials_digest = None
    if study["materials"] is not None:
        if study["dataset"] is not None:
            raise LatticeAnchorError("study.materials and study.dataset: give one (the file has its own datasets)")
        path = Path(study["materials"]).expanduser()
        data.dataset(str(path))  # validated here: one-line error naming the key, unit and range
        study["dataset"] = str(path.resolve())
        materials_digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]  # an edited file is a new study
    else:
        study["dataset"] = data.resolve_dataset(study["dataset"])
    budget = study["max_points"]
    if not grid["cores"]:
        raise LatticeAnchorError("grid.cores: empty list")
    if len(grid["cores"]) > 100:
        raise LatticeAnchorError(f"grid.cores: {len(grid['cores'])} cores; at most 100")
    for core in grid["cores"]:
        if not isinstance(core, str) or not core.strip():
            raise LatticeAnchorError(f"grid.cores: expected core names, got {core!r}")
        try:
            strain.check_core(core, study["dataset"])  # a compound the dataset lacks: refused before any output
        except LatticeAnchorError as exc:
            raise LatticeAnchorError(f"grid.cores: {exc}") from None
    if len(set(grid["cores"])) != len(grid["cores"]):
        raise LatticeAnchorError(f"grid.cores: a core is listed twice in {grid['cores']}")
    matrices = check_matrices(grid["matrices"], study["dataset"])
    x = expand_range("grid.x", grid["x"], budget)
    if x.min() < 0 or x.max() > 3:
        raise LatticeAnchorError(f"grid.x: Br content must lie in [0, 3], got {x.min():g}..{x.max():g}")
    d = expand_range("grid.diameter_nm", grid["diameter_nm"], budget)
    if d.min() <= 0:
        raise LatticeAnchorError(f"grid.diameter_nm: diameters must be > 0, got {d.min():g}")
    try:
        dot_diameter_nm("grid.diameter_nm", d)
    except LatticeAnchorError as exc:
        raise LatticeAnchorError(f"{exc} (the study takes nm; the CLI --diameter takes nm too)") from None
    phi = expand_range("grid.loading", grid["loading"], budget)
    limit = geometry.PACKING_LIMIT[model["arrangement"]]
    if phi.min() < 0:
        raise LatticeAnchorError(f"grid.loading: volume fractions must be ≥ 0, got {phi.min():g}")
    if phi.max() >= limit:
        hint = " (a volume fraction, not vol%: 10 vol% is 0.10)" if phi.max() >= 1 else ""
        raise LatticeAnchorError(f"grid.loading: volume fraction {phi.max():g} ≥ the {model['arrangement']} "
                                 f"packing limit {limit:.2f}{hint}")
    temps = expand_range("grid.temperatures", grid["temperatures"], budget)
    if temps.min() <= 0:
        raise LatticeAnchorError(f"grid.temperatures: must be > 0 K, got {temps.min():g}")
    KEYS_BY_NAME["grid.temperatures"].check(temps)
    n_points = len(matrices) * len(grid["cores"]) * len(x) * len(d) * len(phi) * len(temps)
    if chunked and n_points > study["max_total_points"]:
        raise LatticeAnchorError(f"grid: {n_points:,} points, more than study.max_total_points = "
                                 f"{study['max_total_points']:,} (coarser steps, or raise it)")
    if chunked and len(temps) > budget:
        raise LatticeAnchorError(f"grid: {len(temps)} temperatures, more than a chunk of study.max_points = {budget:,}")
    if not chunked and n_points > budget:
        what = f"{len(matrices)} matrices × " if grid["matrices"] is not None else ""
        raise LatticeAnchorError(f"grid: {what}{len(grid['cores'])} cores × {len(x)} x × {len(d)} diameters × {len(phi)} "
                                 f"loadings × {len(temps)} T = {n_points:,} points, more than the budget of "
                                 f"{budget:,} (coarser steps, raise study.max_points / --max-points, or run it "
                                 "in chunks with --workers/--scheduler)")
    gap = model["target_gap_eV"]
    if len(gap) != 2 or not all(isinstance(g, NUMBER) and not isinstance(g, bool) for g in gap) \
            or not all(math.isfinite(g) for g in gap) or gap[0] >= gap[1]:
        raise LatticeAnchorError(f"model.target_gap_eV: expected [low, high] in eV, got {gap!r}")
    KEYS_BY_NAME["model.target_gap_eV"].check(gap)
    window = objective["matrix_gap_eV"]
    if len(window) != 2 or not all(isinstance(g, NUMBER) and not isinstance(g, bool) for g in window) \
            or not all(math.isfinite(g) for g in window) or window[0] >= window[1]:
        raise LatticeAnchorError(f"objective.matrix_gap_eV: expected [low, high] in eV, got {window!r}")
    KEYS_BY_NAME["objective.matrix_gap_eV"].check(window)
    from latticeanchor.screen.score import weights_for

    cfg["score"] = weights_for(objective["target"], cfg["score"])  # the target's weights, overridden key by key
    if sum(cfg["score"].values()) <= 0:
        raise LatticeAnchorError("score: every weight is 0; give at least one term a positive weight")
    if materials_digest is not None:
        cfg["_materials_sha256"] = materials_digest
    cfg["_axes"] = {"x": x.tolist(), "diameter_nm": d.tolist(), "loading": phi.tolist(), "temperatures": temps.tolist()}
    if grid["matrices"] is not None:
        cfg["_axes"]["matrices"] = matrices
    return cfg


def check_matrices(matrices, dataset) -> list[str]:
    """grid.matrices: None (the dataset's default matrix) or a list of distinct matrix names the dataset knows;
    one-line LatticeAnchorError naming the problem (an unknown name lists the known ones)."""
    ms = data.dataset(dataset)
    if matrices is None:
        return [ms.default_matrix]
    if not matrices:
        raise LatticeAnchorError("grid.matrices: empty list (leave the key out for the default matrix "
                                 f"{ms.default_matrix})")
    if len(matrices) > 20:
        raise LatticeAnchorError(f"grid.matrices: {len(matrices)} matrices; at most 20")
    for name in matrices:
        if not isinstance(name, str) or name not in ms.matrices:
            raise LatticeAnchorError(f"grid.matrices: unknown matrix {name!r}; known: {', '.join(ms.matrices)}")
    if len(set(matrices)) != len(matrices):
        raise LatticeAnchorError(f"grid.matrices: a matrix is listed twice in {matrices}")
    return list(matrices)


def config_hash(cfg: dict) -> str:
    """Stable hash of a validated config (resume only when it is unchanged)."""
    return hashlib.sha256(json.dumps(cfg, sort_keys=True).encode()).hexdigest()[:16]
