"""The screening loop: config -> candidate table -> scores -> ranked list -> files.

``run(config, out=None, top=None, seed=None)`` returns a ``ScreenResult`` (pandas tables) and writes
the study folder (default ``./latticeanchor-results/<study>/``):

* with ``grid.matrices`` (``screen --matrix``) every table gains a ``matrix`` column (after ``rank``) and a
  ``not_evaluated`` column naming the score terms a matrix has no data for (empty, earning 0); without it the
  outputs are those of the dataset's default matrix, CsPb(Br,I)3, byte for byte as before
* ``candidates.csv``: every grid point with all descriptors, score terms, score, rank and Pareto flag, or
  ``candidates.parquet`` (``output.format = "parquet"``, ``screen --parquet``, or a study above
  ``LARGE_STUDY_POINTS`` with pyarrow installed): the same table, units in the schema metadata
* ``ranked.csv``: the top N (core, x, diameter), one row each with the loading window that ties for its best
  score (``loading_min_fraction``, ``loading_max_fraction``); first columns ``rank, core, x, diameter_nm,
  loading_fraction, T_K, score_worst_T, score``, the ``limiting_term`` and a ``reasons`` column
* ``lifetime_map.png`` (read this first), ``mismatch.png``, ``critical_loading_map.png``,
  ``score_landscape.png``, ``score_vs_x.png``
* ``structures/rank<k>_<core>_x<x>.{vasp,cif}``: the top hybrids built by ``latticeanchor.build``
* ``manifest.json``: package version, validated config and its hash, seeds, timings, steps done

Every file is written atomically. A re-run with the same config resumes from the manifest (finished
steps and structures are kept) and gives the same bytes as an uninterrupted run (the table is
always recomputed in memory, never read back from the rounded CSV); a changed config overwrites
the folder's outputs cleanly.

Folder safety: the study name is a plain name, so the default folder stays under the working
directory; the folder is locked while a screen writes into it (a second screen is refused); every
output is recorded in the manifest *before* it is written, and only files the manifest records are
ever deleted (a user's own ``structures/`` or ``candidates.csv`` is never removed: the run is refused
instead); a folder holding files but no latticeanchor manifest (``--out ~``, ``--out .``) gets the results
in its ``<study>/`` subfolder, never among the user's files; temporaries left by a killed run
(``.<name>.XXXXXXXX<suffix>``) are removed.
"""

from __future__ import annotations

import contextlib
import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from latticeanchor import __version__
from latticeanchor.atomic import atomic_path, check_folder, clean_path, stale_temporaries, write_json
from latticeanchor.errors import LatticeAnchorError
from latticeanchor.screen import score as scoring
from latticeanchor.screen.config import KEYS_BY_NAME, check_name, config_hash, load_config
from latticeanchor.screen.evaluate import evaluate, grid_frame

RANKED_FIRST = ["rank", "core", "x", "diameter_nm", "loading_fraction", "T_K", "score_worst_T", "score", "limiting_term"]
# column names for code outside this module (renaming a column is a one-line change here)
COL_RANK, COL_CORE, COL_X, COL_DIAMETER, COL_LOADING, COL_T = RANKED_FIRST[:6]
COL_SCORE = "score"
DIAMETER_COLUMN_PER_NM = 1.0  # the table's diameter column is in nm
LARGE_STUDY_POINTS = 1_000_000  # output.format = "auto": Parquet above this many points (when pyarrow is there)
OUTPUTS = ("candidates.csv", "candidates.parquet", "ranked.csv", "pareto.csv", "lifetime_map.png", "mismatch.png", "critical_loading_map.png",
           "score_landscape.png", "score_vs_x.png", "manifest.json")


@dataclass
class ScreenResult:
    """Tables of a screening run (pandas DataFrames) and where they were written."""

    config: dict
    candidates: pd.DataFrame
    ranked: pd.DataFrame
    out: Path | None = None
    structures: list[Path] = field(default_factory=list)
    timings: dict = field(default_factory=dict)
    best: pd.DataFrame | None = None  # chunked runs: best row per (core, T), streamed (candidates is the top N)
    distributed: bool = False
    counts: dict = field(default_factory=dict)  # chunked runs: n_candidates and n_pareto of the whole grid
    sensitivity: pd.DataFrame | None = None  # run(sensitivity=True): screen.sensitivity.dataset_sensitivity's table

    @property
    def n_candidates(self) -> int:
        """Grid points screened (the whole grid, also for a chunked run)."""
        return int(self.counts.get("n_candidates", len(self.candidates)))

    @property
    def n_pareto(self) -> int:
        """Rows on the Pareto front (the whole grid, also for a chunked run)."""
        return int(self.counts.get("n_pareto", int(self.candidates["pareto"].sum())))

    @classmethod
    def load(cls, folder) -> "ScreenResult":
        """A finished study folder read back: ``candidates.parquet`` or ``candidates.csv`` (whichever the
        manifest records), ``ranked.csv`` and the manifest's config and timings."""
        from latticeanchor.screen.columnar import read_table

        folder = Path(folder)
        manifest = _load_manifest(folder / "manifest.json")
        if not manifest.get("finished"):
            raise LatticeAnchorError(f"{str(folder)!r} holds no finished latticeanchor screen (manifest.json)")
        outputs = manifest.get("outputs", [])
        name = next((n for n in ("candidates.parquet", "candidates.csv", "candidates/part-00000.parquet")
                     if n in outputs and (folder / n).exists()), None)
        if name is not None and name.startswith("candidates/"):  # a chunked run: every part (the whole grid)
            name = "candidates"
        if name is None:
            raise LatticeAnchorError(f"{str(folder)!r}: no candidates table (candidates.parquet or .csv)")
        candidates = read_table(folder / name)
        ranked = read_table(folder / "ranked.csv")
        structures = sorted(folder / o for o in outputs if o.startswith("structures/"))
        return cls(manifest.get("config", {}), candidates, ranked, folder, structures, manifest.get("timings", {}))

    @property
    def pareto(self) -> pd.DataFrame:
        """The Pareto-optimal candidates (on the score-term vector)."""
        return self.candidates[self.candidates["pareto"]]

    def best_per_core(self) -> pd.DataFrame:
        """The highest-ranked candidate of every core at every temperature (rank order)."""
        if self.best is not None:
            return self.best
        return self.candidates.drop_duplicates(subset=best_keys(self.candidates)).reset_index(drop=True)

    def summary(self, n: int = 10, head: pd.DataFrame | None = None) -> str:
        """A fixed-width table of the top ``n`` ranked (core, x, diameter) rows (or of ``head``)."""
        head = self.ranked.head(n) if head is None else head
        width = 13
        if "matrix" in head:  # the matrix joins the core column: 'MAPb(Br,I)3 · PbS'
            head = head.assign(core=head["matrix"].astype(str) + " · " + head["core"].astype(str))
            width = max([13] + [len(str(c)) + 1 for c in head["core"]])
        lines = [f"{'rank':>4} {'core':<{width}}{'x':>5}{'Br%':>6}{'d/nm':>6}{'vol%':>11}{'T/K':>8}{'ε/%':>8}"
                 f"{'life/h':>10}{'pristine/h':>11}{'Eg,m/eV':>8}{'regime':>16}{'score':>7}"]
        for _, r in head.iterrows():
            lo = r.get("loading_min_fraction", r["loading_fraction"])
            hi = r.get("loading_max_fraction", r["loading_fraction"])
            window = f"{100 * lo:.0f}" if abs(hi - lo) < 1e-12 else f"{100 * lo:.0f}-{100 * hi:.0f}"
            rank = f"{int(r['rank'])}" if r["rank"] >= 1 else "-"  # -1: beyond a chunked run's top N
            lines.append(f"{rank:>4} {r['core']:<{width}}{r['x']:>5.2f}{r['br_percent']:>6.1f}{r['diameter_nm']:>6.2f}"
                         f"{window:>11}{r['T_K']:>8.2f}{100 * r['eps_fraction']:>+8.3f}{r['lifetime_h']:>10.3g}"
                         f"{r['lifetime_pristine_h']:>11.3g}{r['matrix_gap_eV']:>8.3f}{r['regime']:>16}"
                         f"{r['score_worst_T']:>7.4f}")
        return "\n".join(lines)


def rank_order(table: pd.DataFrame) -> np.ndarray:
    """The deterministic ranking of scored rows: worst-temperature score, own score (both decreasing, to 12
    decimals), then the key columns (matrix when there is a matrix column, then core, both by their category
    code, x, diameter, loading, T increasing)."""
    matrix = [table["matrix"].cat.codes] if "matrix" in table else []
    return np.lexsort((table["T_K"], table["loading_fraction"], table["diameter_nm"], table["x"],
                       table["core"].cat.codes, *matrix, -table["score"].round(12), -table["score_worst_T"].round(12)))


def film_keys(table: pd.DataFrame) -> list[str]:
    """The columns naming one film (all its temperatures): (matrix,) core, x, diameter, loading."""
    return (["matrix"] if "matrix" in table else []) + ["core", "x", "diameter_nm", "loading_fraction"]


def best_keys(table: pd.DataFrame) -> list[str]:
    """The columns of a 'best row of each core at each temperature' (per matrix with a matrix column)."""
    return (["matrix"] if "matrix" in table else []) + ["core", "T_K"]


def first_columns(table: pd.DataFrame) -> list[str]:
    """``RANKED_FIRST`` with ``matrix`` after ``rank`` when the table has a matrix column."""
    return RANKED_FIRST[:1] + (["matrix"] if "matrix" in table else []) + RANKED_FIRST[1:]


def _scored(cfg: dict, frame: pd.DataFrame | None = None):
    """(table, film groups, term table): every grid point of a validated config (or only ``frame``'s rows)
    evaluated and scored, with ``limiting_term`` and ``score_worst_T``, in grid order (not ranked)."""
    axes = cfg["_axes"]
    objective = cfg["objective"]
    if frame is None:
        frame = grid_frame(cfg["grid"]["cores"], axes["x"], axes["diameter_nm"], axes["loading"],
                           axes["temperatures"], axes.get("matrices"))
    table = evaluate(frame, axes["temperatures"], cfg["study"]["dataset"], cfg["model"]["arrangement"],
                     tuple(cfg["model"]["target_gap_eV"]), objective["lifetime_target_h"])
    term_table = scoring.terms(table, tuple(cfg["model"]["target_gap_eV"]), tuple(objective["matrix_gap_eV"]),
                               objective["lifetime_target_h"])
    table = pd.concat([table, term_table], axis=1)
    table["score"] = scoring.weighted_score(term_table, cfg["score"])
    table["limiting_term"] = scoring.limiting_term(term_table, cfg["score"])
    groups = table.groupby(film_keys(table), observed=True)
    table["score_worst_T"] = groups["score"].transform("min")
    return table, groups, term_table


def _ranked_columns(table: pd.DataFrame, rows) -> pd.DataFrame:
    """``rows`` (positions) of a scored table with ``rank`` 1, 2, … and the columns in the ranked order
    (``first_columns``, then the rest as they are): one copy of the data (row and column take together)."""
    first = [c for c in first_columns(table) if c != COL_RANK]
    columns = first + [c for c in table.columns if c not in first]
    out = table.iloc[rows, [table.columns.get_loc(c) for c in columns]].reset_index(drop=True)
    out.insert(0, COL_RANK, np.arange(1, len(out) + 1))
    return out


def screen_table(cfg: dict, pareto: bool = True, frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """Evaluate, score and rank every grid point of a validated config (no files). ``pareto=False`` skips
    the Pareto front (column ``pareto`` all False): the ranking does not depend on it. ``frame``: only these
    grid rows (a chunk with every temperature of its candidates; ``screen.distributed``)."""
    table, groups, term_table = _scored(cfg, frame)
    # Pareto front of the candidates' worst-temperature term vectors (a film must survive every temperature);
    # a term not evaluated (NaN) counts 0 there, as in the score
    table["pareto"] = scoring.pareto_front(_worst_terms(groups, term_table)) if pareto else np.zeros(len(table), bool)
    # the one ranking key: worst-temperature score, own score, then the key columns (fewest dots first)
    return _ranked_columns(table, rank_order(table))


def best_row(cfg: dict) -> pd.Series:
    """``screen_table(cfg, pareto=False).iloc[0]`` (the top-ranked row, rank 1, ``pareto`` False) without
    reordering the whole table: the dataset sensitivity needs the best row of each dataset only."""
    table, _, _ = _scored(cfg)
    table["pareto"] = False
    return _ranked_columns(table, rank_order(table)[:1]).iloc[0]


def _worst_terms(groups, term_table: pd.DataFrame) -> np.ndarray:
    """Per row: the film's worst-temperature term vector (NaN, a term not evaluated, as 0)."""
    worst = groups[list(term_table.columns)].transform("min").to_numpy()
    return np.nan_to_num(worst, nan=0.0) if np.isnan(worst).any() else worst


def ranked_table(table: pd.DataFrame, top: int) -> pd.DataFrame:
    """One row per (core, x, diameter) in rank order (per (matrix, core, x, diameter) with a matrix column): its best
    candidate (fewest dots among the loadings that tie for its best worst-temperature score, at its worst
    temperature) with ``loading_min_fraction`` / ``loading_max_fraction``, the window of loadings that tie
    (within 1e-9)."""
    keys = film_keys(table)[:-1]
    best = table.groupby(keys, observed=True, sort=False)["score_worst_T"].transform("max")
    tied = table[table["score_worst_T"] >= best - 1e-9]
    window = tied.groupby(keys, observed=True, sort=False)["loading_fraction"].agg(["min", "max"])
    head = table.drop_duplicates(subset=keys, keep="first").head(top).copy()  # table is in rank order
    idx = pd.MultiIndex.from_frame(head[keys])
    head.insert(head.columns.get_loc("limiting_term") + 1, "loading_min_fraction", window["min"].reindex(idx).to_numpy())
    head.insert(head.columns.get_loc("loading_min_fraction") + 1, "loading_max_fraction",
                window["max"].reindex(idx).to_numpy())
    head["rank"] = np.arange(1, len(head) + 1)
    return head.reset_index(drop=True)


def _hours(h: float) -> str:
    if not np.isfinite(h):
        return "never fails"
    if h >= 8760:
        return f"{h / 8760:.3g} years"
    return f"{h / 24:.3g} days" if h >= 48 else f"{h:.3g} h"


def reasons(row) -> str:
    """One line explaining a candidate's score in physical terms, the deciding effect first."""
    phi = 100 * row["loading_fraction"]
    regime = row["regime"]
    life, life0 = row["lifetime_h"], row["lifetime_pristine_h"]
    named = row.get("not_evaluated", "")
    skipped = [t for t in named.split(";") if t] if isinstance(named, str) else []  # NaN: read back from a CSV
    if regime == "not evaluated":
        phase = (f"α→δ lifetime not evaluated in {row.get('matrix', 'this matrix')} (the kinetic model covers "
                 "CsPb(Br,I)3 only): anchoring and lifetime earn 0")
    elif regime == "alpha stable":
        phase = f"α stable without dots at {row['T_K']:g} K (above the δ→α transition): the dots add nothing here"
    elif regime == "no dots":
        phase = f"no dots: pristine film lasts {_hours(life0)} at {row['T_K']:g} K"
    else:
        crit = row["critical_loading_fraction"]
        need = "no loading reaches the target" if not np.isfinite(crit) else f"target needs {100 * crit:.1f} vol%"
        phase = (f"{regime}: lasts {_hours(life)} at {row['T_K']:g} K against {_hours(life0)} pristine, "
                 f"{100 * row['anchored_fraction']:.0f} % of the matrix held α at {phi:.0f} vol% ({need})")
    parts = {
        "anchoring": phase,
        "lifetime": f"lifetime {_hours(life)}",
        "matrix_gap": f"matrix gap {row['matrix_gap_eV']:.2f} eV",
        "passivation": f"ε = {100 * row['eps_fraction']:+.2f} % against {row['core']}"
                       + ("" if row["coherent"] or not np.isfinite(row["critical_inclusion_diameter_nm"])
                          else " (dots above the critical inclusion size: dislocated)"),
        "dot_gap": f"dot gap {row['dot_gap_eV']:.2f} eV{' in window' if row['gap_in_window'] else ''}",
        "selectivity": f"registry selectivity {row['selectivity']:+.2f} (δ coincidence strain "
                       f"{100 * row['delta_strain_fraction']:.1f} %)",
        "tolerance": f"τ = {row['bartel_tau']:.3f}",
        "processing": f"{phi:.0f} vol% dots" + (" (above the 15 vol% uniform-film limit)" if phi > 15 + 1e-9 else ""),
    }
    for term in skipped:
        if term == "dot_gap":  # the core's data lack a sizing curve / dot band edges
            parts[term] = f"dot gap not evaluated (no sizing curve for {row['core']}: earns 0)"
        elif term != "anchoring":
            parts[term] = f"{term} not evaluated (no data for {row.get('matrix', 'this matrix')}: earns 0)"
    first = row["limiting_term"] if row["limiting_term"] in parts else "anchoring"
    tail = ("; alignment not evaluated" if "dot_gap" in skipped else
            f"; alignment {row['alignment']} (P(type I) = {row['type_I_probability']:.2f}, not scored)")
    return f"limited by {first}: " + "; ".join([parts[first]] + [v for k, v in parts.items() if k != first]) + tail


def _resolve_out(cfg: dict, out) -> Path:
    """The results folder: ``out`` as given (checked by ``atomic.check_folder``: no control characters, a
    leading ``~`` expanded, not under a regular file, its parent folder existing, writable), else ``./latticeanchor-results/<study.name>``
    (the name is a plain name: never outside the working dir). A folder that holds files and no
    latticeanchor manifest (``--out ~``, ``--out /``, a project folder) is not written into: the results go
    to its ``<study.name>/`` subfolder, which must itself be new, empty or a latticeanchor results folder."""
    name = check_name(cfg["study"]["name"])
    if out is None:
        folder = Path.cwd() / "latticeanchor-results" / name
    else:
        folder = clean_path(out, "--out")
    if folder.exists() and not folder.is_dir():
        raise LatticeAnchorError(f"--out: {str(out if out is not None else folder)!r} exists and is not a folder")
    # a folder the user names is made, never its missing parents (a mistyped path); the default's are
    check_folder(folder, "--out", create=None if out is None else 1, shown=None if out is None else str(out))
    if _foreign(folder):
        sub = folder / name
        if sub.exists() and (not sub.is_dir() or _foreign(sub)):
            raise LatticeAnchorError(f"--out: {str(folder)!r} and its subfolder {name!r} hold files not written by "
                                     "latticeanchor; choose a new or empty folder")
        folder = sub
    return folder


def _foreign(folder: Path) -> bool:
    """Whether ``folder`` holds anything and no latticeanchor manifest (our own stale temporaries aside)."""
    if not folder.is_dir() or _load_manifest(folder / "manifest.json"):
        return False
    ours = {t for name in OUTPUTS for t in stale_temporaries(folder / name)}
    try:
        return any(entry not in ours for entry in folder.iterdir())
    except OSError as exc:
        raise LatticeAnchorError(f"--out: cannot list {str(folder)!r}: {exc.strerror}") from None


def _load_manifest(path: Path) -> dict:
    """This package's manifest in the folder, or {} (absent, unreadable, or not ours)."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeError, ValueError):
        return {}
    if not isinstance(manifest, dict) or manifest.get("package") != "latticeanchor":
        return {}
    outputs = manifest.get("outputs", [])
    manifest["outputs"] = [o for o in outputs if isinstance(o, str) and _safe_relative(o)] \
        if isinstance(outputs, list) else []
    return manifest


def _safe_relative(name: str) -> bool:
    """A manifest entry may only name a file inside the folder (no absolute path, no '..')."""
    p = Path(name)
    return bool(name) and not p.is_absolute() and ".." not in p.parts and "\x00" not in name


@contextlib.contextmanager
def folder_lock(folder: Path):
    """Exclusive lock on the results folder (flock on the folder itself: no lock file to go stale;
    released by the kernel when the process dies). A second screen into the same folder is refused."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX: no locking
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LatticeAnchorError(f"another latticeanchor screen is writing into {str(folder)!r}; wait for it "
                                     "or choose another --out") from None
        yield
    finally:
        os.close(fd)


def _clean_folder(folder: Path, manifest: dict) -> None:
    """Remove stale temporaries of our own outputs (left by a killed run)."""
    for name in set(OUTPUTS) | set(manifest.get("outputs", [])):
        for tmp in stale_temporaries(folder / name):
            tmp.unlink(missing_ok=True)


def _start_clean(folder: Path, manifest: dict) -> None:
    """A different study (or none) lived here: delete what the manifest says we wrote; refuse when a
    file we are about to write exists and is not ours."""
    ours = set(manifest.get("outputs", []))
    if not manifest and (folder / "manifest.json").exists():
        raise LatticeAnchorError(f"{str(folder / 'manifest.json')!r} is not a latticeanchor manifest; "
                                 "move it or choose another --out")
    for name in OUTPUTS:
        if name != "manifest.json" and (folder / name).exists() and name not in ours:
            raise LatticeAnchorError(f"{str(folder / name)!r} exists and was not written by latticeanchor; "
                                     "move it or choose another --out")
    structures = folder / "structures"
    if structures.exists() and not any(o.startswith("structures/") for o in ours):
        if not structures.is_dir() or any(structures.iterdir()):
            raise LatticeAnchorError(f"{str(structures)!r} exists and was not written by latticeanchor; "
                                     "move it or choose another --out")
    for name in sorted(ours):
        target = folder / name
        if target.is_file() or target.is_symlink():
            target.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        structures.rmdir()  # only when empty
    with contextlib.suppress(OSError):
        (folder / "candidates").rmdir()  # a chunked run's parts folder, only when empty


def _write_manifest(out: Path, manifest: dict) -> None:
    write_json(out / "manifest.json", manifest)


def _write_csv(frame: pd.DataFrame, path: Path) -> None:
    """CSV through the columnar writer (``screen.columnar``: pandas' bytes, bounded memory)."""
    from latticeanchor.screen.columnar import write_csv

    write_csv(frame, path)


def _progress(iterable, total: int, desc: str, quiet: bool):
    if quiet:
        return iterable
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm comes with pymatgen
        return iterable
    return tqdm(iterable, total=total, desc=desc, file=sys.stderr, leave=False)


def _rows(table: pd.DataFrame, block: int = 64):
    """``table.iterrows()`` a block of rows at a time: iterrows makes one object array of the whole frame first,
    which on a 68 076-row study cost 0.4 s to read its first few rows."""
    for start in range(0, len(table), block):
        yield from table.iloc[start:start + block].iterrows()


def build_top(ranked: pd.DataFrame, cfg: dict, out: Path, done: list[str], seed: int, quiet: bool = True,
              register=None) -> list[Path]:
    """Build the top distinct hybrids (α matrix, dot at the candidate's loading) as POSCAR + CIF.

    The supercell is ``build.sizing.supercell_for_loading``: edge from the candidate's dot spacing
    when the hybrid fits ``build.max_atoms``, else the largest cell that fits; the loading actually
    built is in the file name (``_phi<fraction>``) and the provenance. Candidates that would give the
    same structure (same core, x, diameter, T and cell) are built once. Hybrids are charge balanced
    with a completed interface (see ``latticeanchor.build.embed``). Finished structures recorded in
    ``done`` are skipped.
    ``register(paths)`` is called before files are written (the manifest records them first).
    """
    from latticeanchor import build, data, io
    from latticeanchor.build.cores import buildable
    from latticeanchor.build.sizing import candidate_params, supercell_for_loading

    dataset = cfg["study"]["dataset"]
    target = out / "structures"
    wanted, seen = [], set()
    for _, row in _rows(ranked):
        if len(wanted) >= cfg["build"]["structures"]:
            break
        if "matrix" in row.index and row["matrix"] != data.dataset(dataset).default_matrix:
            continue  # the screen builds CsPb(Br,I)3 hybrids only (MA/FA: build.embed refuses a molecular A site)
        if not buildable(str(row["core"])):
            continue  # a user's rock-salt compound of another cation: the builders place Pb chalcogenides only
        c = candidate_params(row)  # column names with or without units
        d = c["diameter_A"]
        phi = c["loading"] if c["loading"] > 0 else 0.05  # a loading of 0: one dot in a dilute cell
        choice = supercell_for_loading(c["core"], c["x"], d, phi, max_atoms=cfg["build"]["max_atoms"], T=c["T_K"],
                                       a_matrix=float(row["a_matrix_A"]), dataset=dataset)
        key = (c["core"], round(c["x"], 6), d, c["T_K"], choice.n_cells)
        if key not in seen:
            seen.add(key)
            wanted.append((row, choice))
    written: list[Path] = []
    for row, choice in _progress(wanted, len(wanted), "building top hybrids", quiet):
        c = candidate_params(row)
        n_cells = choice.n_cells
        stem = (f"rank{int(row['rank'])}_{c['core']}_x{c['x']:.2f}_d{c['diameter_A'] / 10:g}nm_{c['T_K']:g}K"
                f"_phi{choice.loading_built:.3g}")
        files = [target / f"{stem}.vasp", target / f"{stem}.cif"]
        if stem in done and all(f.exists() for f in files):
            written += files
            continue
        if register is not None:
            register(files)
        matrix = build.alpha_matrix(c["x"], size=(n_cells,) * 3, T=c["T_K"],
                                    halide_order=cfg["build"]["halide_order"], seed=seed, dataset=dataset)
        core = build.rocksalt_core(c["core"], diameter=c["diameter_A"], shape="sphere",
                                   T=c["T_K"], dataset=dataset, seed=seed)
        hybrid = build.embed(core, matrix, strain="matrix", charge_balance=True)
        hybrid.info.setdefault("latticeanchor", {}).update(
            {"screen_rank": int(row["rank"]), "score": float(row["score"]), "study": cfg["study"]["name"],
             "loading_requested": c["loading"], "loading_built": choice.loading_built,
             "built_at_candidate_loading": bool(choice.at_candidate and c["loading"] > 0),
             "supercell_cells": n_cells, "max_atoms": choice.max_atoms})
        for f, fmt in zip(files, ("vasp", "cif")):
            io.write(hybrid, f, format=fmt)
        written += files
        done.append(stem)
    return written


def run(config=None, out=None, top: int | None = None, seed: int | None = None, build_structures: bool = True,
        plots: bool = True, quiet: bool = False, max_points: int | None = None,
        output_format: str | None = None, workers: int | None = None, scheduler: str | None = None,
        client=None, chunk_points: int | None = None, sensitivity: bool = False) -> ScreenResult:
    """Run a screening study (a TOML path, a shipped study name, a dict, or None for the default).

    ``max_points`` overrides the study's grid-size budget (``study.max_points``); ``output_format``
    (``"csv"``, ``"parquet"``, ``"auto"``) overrides ``output.format``. Everything is validated before the
    results folder is touched.

    ``sensitivity=True``: the best candidate of the top core under every dataset
    (``screen.sensitivity.dataset_sensitivity``) in ``ScreenResult.sensitivity``, computed while the plots are drawn
    (not for a chunked run: it re-screens the grid per dataset).

    ``workers`` (a LocalCluster of K processes), ``scheduler`` (an address) or ``client`` (a dask Client):
    the grid is evaluated in chunks (``screen.distributed``): ``candidates/part-*.parquet``, ``ranked.csv``
    and ``pareto.csv`` (the front's keys) are written, the result holds the top N only, no plots."""
    t0 = time.perf_counter()
    chunked = workers is not None or scheduler is not None or client is not None
    cfg = load_config(config, max_points=max_points, chunked=chunked)
    from latticeanchor.screen.config import MAX_TOP
    from latticeanchor.validate import integer

    if chunked:
        from latticeanchor.screen.columnar import has_parquet

        if output_format not in (None, "parquet") or cfg["output"]["format"] == "csv":
            raise LatticeAnchorError("a chunked run (--workers/--scheduler) writes Parquet parts; drop output.format = "
                                     "\"csv\"")
        if not has_parquet():
            raise LatticeAnchorError("a chunked run (--workers/--scheduler) needs pyarrow: pip install "
                                     "'latticeanchor[parquet]'")
        output_format = "parquet"
    if output_format is not None:
        KEYS_BY_NAME["output.format"].check(output_format, "output format")
        cfg["output"]["format"] = output_format
    cfg["output"]["format"] = candidates_format(cfg, quiet)
    if top is not None:
        cfg["study"]["top"] = integer("top (ranked candidates)", top, low=1, high=MAX_TOP)
    if seed is not None:
        cfg["study"]["seed"] = integer("seed", seed, low=0)
    digest = config_hash(cfg)
    folder = _resolve_out(cfg, out)
    # the plotting process starts first: it imports matplotlib and renders the mismatch figure while the grid is
    # evaluated here (it writes nothing until it is handed the table)
    plot_job = PlotJob(cfg) if plots and not chunked else None
    try:
        t = time.perf_counter()
        # always in memory, and before the folder is touched: a refusal of the model writes nothing, and a
        # resumed run writes the same bytes as an uninterrupted one (a chunked run evaluates in its workers)
        table = None if chunked else screen_table(cfg)
        evaluate_s = time.perf_counter() - t
        folder.mkdir(parents=True, exist_ok=True)
        with folder_lock(folder):
            if chunked:
                return _run_chunked(cfg, digest, folder, t0, build_structures, quiet,
                                    dict(workers=workers, scheduler=scheduler, client=client, chunk_points=chunk_points))
            return _run_locked(cfg, digest, folder, t0, build_structures, plot_job, quiet, table, evaluate_s,
                               sensitivity)
    except BaseException:
        if plot_job is not None:
            plot_job.cancel()
        raise

def n_points(cfg: dict) -> int:
    """Grid points of a validated config."""
    axes = cfg["_axes"]
    return len(axes.get("matrices", [None])) * len(cfg["grid"]["cores"]) * len(axes["x"]) * len(axes["diameter_nm"]) * len(axes["loading"]) * \
        len(axes["temperatures"])


def candidates_format(cfg: dict, quiet: bool = False) -> str:
    """``csv`` or ``parquet`` for the candidates table: ``output.format``, where ``auto`` means Parquet above
    ``LARGE_STUDY_POINTS`` points when pyarrow is installed (with a note on stderr), else CSV. An explicit
    ``parquet`` without pyarrow is an error before anything is written."""
    from latticeanchor.screen.columnar import has_parquet

    fmt = cfg["output"]["format"]
    if fmt == "parquet" and not has_parquet():
        raise LatticeAnchorError("output.format = \"parquet\" needs pyarrow: pip install 'latticeanchor[parquet]'")
    if fmt != "auto":
        return fmt
    n = n_points(cfg)
    if n <= LARGE_STUDY_POINTS:
        return "csv"
    if not has_parquet():
        if not quiet:
            print(f"# note: {n:,} points: candidates.csv will be large (≈ {n * 370 / 1e9:.1f} GB); install pyarrow "
                  "('latticeanchor[parquet]') for Parquet", file=sys.stderr)
        return "csv"
    if not quiet:
        print(f"# note: {n:,} points: the candidates table is written as candidates.parquet (units in its schema); "
              "set output.format = \"csv\" in the study to force CSV", file=sys.stderr)
    return "parquet"


def _open_manifest(cfg, digest, folder: Path) -> dict:
    """The folder's manifest for this config (a different study's outputs removed first)."""
    manifest = _load_manifest(folder / "manifest.json")
    _clean_folder(folder, manifest)
    if manifest.get("config_hash") != digest:
        _start_clean(folder, manifest)
        manifest = {}
    manifest.update({"package": "latticeanchor", "version": __version__, "config_hash": digest, "config": cfg,
                     "seed": cfg["study"]["seed"], "steps": manifest.get("steps", {}),
                     "structures_done": manifest.get("structures_done", []),
                     "outputs": [o for o in manifest.get("outputs", []) if o != "manifest.json"],
                     "started": manifest.get("started", time.strftime("%Y-%m-%dT%H:%M:%S%z"))})
    _write_manifest(folder, manifest)
    return manifest


def _registrar(folder: Path, manifest: dict):
    def register(paths) -> None:
        """Record outputs in the manifest before they are written (only recorded files are ever deleted)."""
        names = [str(Path(p).relative_to(folder)) for p in paths]
        new = [n for n in names if n not in manifest["outputs"]]
        if new:
            manifest["outputs"] = sorted(manifest["outputs"] + new)
            _write_manifest(folder, manifest)

    return register


def _run_chunked(cfg, digest, folder: Path, t0: float, build_structures: bool, quiet: bool, how: dict) -> ScreenResult:
    """The chunked (Dask) path: Parquet parts, a streamed top N and Pareto front (``screen.distributed``)."""
    from latticeanchor.screen import distributed

    manifest = _open_manifest(cfg, digest, folder)
    register = _registrar(folder, manifest)
    plan = distributed.chunks(cfg, how["chunk_points"])
    parts = folder / "candidates"
    register([parts / f"part-{i:05d}.parquet" for i in range(len(plan))] + [folder / "ranked.csv",
                                                                             folder / "pareto.csv"])
    timings: dict = {}
    t = time.perf_counter()

    def progress(done: int, total: int) -> None:
        if not quiet:
            print(f"\r# chunks {done}/{total}", end="" if done < total else "\n", file=sys.stderr, flush=True)

    res = distributed.run_chunks(cfg, cfg["study"]["top"], parts, progress=progress, **how)
    timings["evaluate_s"] = time.perf_counter() - t
    ranked = res["ranked"]
    ranked["reasons"] = [reasons(r) for _, r in ranked.iterrows()]
    _write_csv(ranked, folder / "ranked.csv")
    _write_csv(res["front"], folder / "pareto.csv")
    manifest["steps"]["candidates"] = True
    structures: list[Path] = []
    if build_structures and cfg["build"]["structures"] > 0:
        t = time.perf_counter()
        structures = build_top(ranked, cfg, folder, manifest["structures_done"], cfg["study"]["seed"], quiet,
                               register=register)
        timings["structures_s"] = time.perf_counter() - t
    timings["total_s"] = time.perf_counter() - t0
    manifest.update({"timings": timings, "n_candidates": res["n_candidates"], "n_pareto": res["n_pareto"],
                     "chunks": res["chunks"], "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                     "outputs": sorted(set(manifest["outputs"]) | {"manifest.json"})})
    _write_manifest(folder, manifest)
    return ScreenResult(cfg, ranked, ranked, folder, structures, timings, best=res["best"], distributed=True,
                        counts={"n_candidates": res["n_candidates"], "n_pareto": res["n_pareto"]})


class PlotJob:
    """The study plots drawn in a forked child process (POSIX ``fork``), started before the table is computed.

    The child imports matplotlib and renders ``mismatch.png`` (it needs the config only) into memory while the
    parent evaluates the grid; ``draw(table, folder)`` sends it the table's ``screen.plots.PLOT_COLUMNS`` (a few MB
    pickled) and the folder, and the child writes the table plots (``screen.plots.table_plots``), then the
    mismatch figure, each atomically, while the parent writes the tables and builds the structures. Nothing is
    written before ``draw``: a refused model or a failed evaluation ends the child (``cancel``) with no file.
    ``wait()`` returns the plotting wall time (s) and raises LatticeAnchorError with the child's one-line error.
    Where fork is unavailable the plots are drawn in this process by ``wait()``."""

    def __init__(self, cfg: dict):
        import multiprocessing as mp

        self.t0 = time.perf_counter()
        self.cfg = cfg
        self.proc = self.conn = self.args = None
        self.sent = False
        if sys.platform.startswith("linux") and "fork" in mp.get_all_start_methods():
            # imported once before the fork rather than once in each process: the mismatch figure's zero crossings
            # and this process's kinetic calibration both solve with scipy.optimize (0.3 s CPU of imports)
            import scipy.optimize  # noqa: F401

            ctx = mp.get_context("fork")
            self.conn, child = ctx.Pipe(duplex=True)
            self.proc = ctx.Process(target=PlotJob._child, args=(cfg, child), daemon=True)
            self.proc.start()
            child.close()

    @staticmethod
    def _child(cfg, conn) -> None:
        import io

        from latticeanchor.atomic import atomic_path

        try:
            from latticeanchor.screen import plots as screen_plots

            mismatch = io.BytesIO()
            screen_plots.mismatch_plot(cfg, mismatch)  # while the parent evaluates; written only after draw()
            message = conn.recv()
            if message is None:  # cancelled: nothing is written
                return
            table, folder = message
            screen_plots.table_plots(table, cfg, folder)
            with atomic_path(folder / "mismatch.png") as tmp:
                tmp.write_bytes(mismatch.getvalue())
            conn.send(None)
        except EOFError:  # the parent is gone
            return
        except BaseException as exc:  # reported by the parent as one line
            with contextlib.suppress(OSError):
                conn.send(f"{type(exc).__name__}: {exc}".splitlines()[0] if str(exc) else type(exc).__name__)
        finally:
            conn.close()

    def draw(self, table: pd.DataFrame, folder: Path) -> None:
        """Hand the scored table (rank order) and the results folder to the plotting process."""
        from latticeanchor.screen.plots import PLOT_COLUMNS

        if self.proc is None:
            self.args = (table, self.cfg, folder)
            return
        self.sent = True
        with contextlib.suppress(OSError):  # a child that failed already: its error is read by wait()
            self.conn.send((table[[c for c in PLOT_COLUMNS if c in table]], folder))

    def cancel(self) -> None:
        """End the plotting process: nothing written when ``draw`` was not called, else its figures finished."""
        if self.proc is None:
            return
        if not self.sent:
            with contextlib.suppress(OSError):
                self.conn.send(None)
        self.proc.join(timeout=60)
        if self.proc.is_alive():
            self.proc.terminate()
            self.proc.join()
        self.conn.close()

    def wait(self) -> float:
        if self.proc is None:
            from latticeanchor.screen import plots as screen_plots

            screen_plots.all_plots(*self.args)
            return time.perf_counter() - self.t0
        try:
            error = self.conn.recv() if self.conn.poll(None) else "no result"
        except EOFError:
            error = "the plotting process died"
        finally:
            self.proc.join()
            self.conn.close()
        if error is not None:
            raise LatticeAnchorError(f"plots: {error}")
        return time.perf_counter() - self.t0


def _run_locked(cfg, digest, folder: Path, t0: float, build_structures: bool, plot_job: PlotJob | None, quiet: bool,
                table: pd.DataFrame, evaluate_s: float, sensitivity: bool = False) -> ScreenResult:
    manifest = _open_manifest(cfg, digest, folder)
    register = _registrar(folder, manifest)

    timings: dict = {}
    t = time.perf_counter()
    if plot_job is not None:  # drawn in the plotting process while this one writes the tables and the structures
        register([folder / name for name in OUTPUTS if name.endswith(".png")])
        plot_job.draw(table, folder)
    name = "candidates.parquet" if cfg["output"]["format"] == "parquet" else "candidates.csv"
    if not (manifest["steps"].get("candidates") and (folder / name).exists()):
        register([folder / name])
        if name.endswith(".parquet"):
            from latticeanchor.screen.columnar import write_parquet

            write_parquet(table, folder / name, {"study": cfg["study"]["name"], "config_hash": digest})
        else:
            _write_csv(table, folder / name)
        manifest["steps"]["candidates"] = True
        _write_manifest(folder, manifest)
    timings["evaluate_s"] = evaluate_s + time.perf_counter() - t
    ranked = ranked_table(table, cfg["study"]["top"])
    ranked["reasons"] = [reasons(r) for _, r in ranked.iterrows()]
    register([folder / "ranked.csv"])
    _write_csv(ranked, folder / "ranked.csv")

    structures: list[Path] = []
    by_dataset = None
    try:
        if build_structures and cfg["build"]["structures"] > 0:
            t = time.perf_counter()
            structures = build_top(table, cfg, folder, manifest["structures_done"], cfg["study"]["seed"], quiet,
                                   register=register)
            timings["structures_s"] = time.perf_counter() - t
        if sensitivity:  # while the plotting process draws
            from latticeanchor.screen.sensitivity import dataset_sensitivity

            t = time.perf_counter()
            by_dataset = dataset_sensitivity(cfg, table.iloc[0], table=table)
            timings["sensitivity_s"] = time.perf_counter() - t
    finally:
        if plot_job is not None:
            timings["plots_s"] = plot_job.wait()
    timings["total_s"] = time.perf_counter() - t0
    manifest.update({"timings": timings, "n_candidates": int(len(table)), "n_pareto": int(table["pareto"].sum()),
                     "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                     "outputs": sorted(set(manifest["outputs"]) | {"manifest.json"})})
    _write_manifest(folder, manifest)
    return ScreenResult(cfg, table, ranked, folder, structures, timings, sensitivity=by_dataset)
