"""Named reference phases for diffraction: rock-salt PbS/PbSe, cubic α-CsPbBr_xI_(3-x), δ-CsPbI3 and
orthorhombic CsPbBr3, plus :func:`load_structure` (a phase name or any file ase.io reads).

Lattice constants (Å, room temperature):

Every value comes from the cited data file (``latticeanchor.data``) through the builders:

* PbS, PbSe: ``latticeanchor.build.rocksalt_cell`` (Fm-3m, Pb 4a, anion 4b) at 298.15 K.
* α-CsPbBr_xI_(3-x): Pm-3m, Cs 1b (½,½,½), Pb 1a (0,0,0), X 3d, a(x) from ``latticeanchor.vegard``;
  mixed halide sites carry partial occupancies Br x/3, I (3−x)/3 (the disorder average).
* δ-CsPbI3: ``latticeanchor.build.delta_matrix`` (Pnma, Trots & Myagkota cell, mp-540839 sites).
* orthorhombic CsPbBr3, Pnma, cell ``CsPbBr3_ortho`` of the data file (Stoumpos et al. 2013). Atom positions
  are those of a GdFeO3-type a⁻b⁺a⁻ tilted perovskite: ideal cubic positions displaced along the
  CaTiO3 Pnma pattern (Sasaki et al., Acta Cryst. C43, 1668 (1987), DOI 10.1107/S0108270187090620)
  scaled by 0.75 (octahedral tilts ≈ 8–9°); the b axis is the doubled (2 a_p) axis. This reproduces the
  weak tilt superstructure peaks near 2θ = 22–29° (Cu Kα) used to tell it from the cubic phase.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from latticeanchor.errors import LatticeAnchorError

ORTHO_TILT_SCALE = 0.75

#: Phases that are cubic (or pseudo-cubic) with a single lattice constant: name → kind
CUBIC_KINDS = ("rocksalt", "alpha")


def alpha_lattice_constant(x: float) -> float:
    """Cubic α-CsPbBr_xI_(3-x) lattice constant (Å) at 298.15 K (``latticeanchor.vegard``)."""
    from latticeanchor.vegard import lattice_constant

    return float(lattice_constant(x))


def x_from_alpha_lattice_constant(a: float) -> float:
    """Inverse of :func:`alpha_lattice_constant`: Br per formula unit from a (Å)."""
    from latticeanchor.vegard import x_from_lattice_constant

    return float(x_from_lattice_constant(a))


def _structure(atoms):
    from latticeanchor.io import to_structure

    return to_structure(atoms)


def rocksalt(anion: str = "S", a: float | None = None):
    """Rock-salt PbX (Fm-3m, conventional 8-atom cell); a in Å (default: the data file at 298.15 K)."""
    from latticeanchor.build import rocksalt_cell

    return _structure(rocksalt_cell(f"Pb{anion}", a=a))


def alpha(x: float = 3.0, a: float | None = None):
    """Cubic α-CsPbBr_xI_(3-x) (5-atom Pm-3m cell, halide sites partially occupied); a in Å."""
    from pymatgen.core import Lattice, Structure

    a = alpha_lattice_constant(x) if a is None else float(a)
    fx = float(x) / 3.0
    if fx >= 1 - 1e-12:
        hal = "Br"
    elif fx <= 1e-12:
        hal = "I"
    else:
        hal = {"Br": fx, "I": 1.0 - fx}
    return Structure(Lattice.cubic(a), ["Cs", "Pb", hal, hal, hal],
                     [[0.5, 0.5, 0.5], [0, 0, 0], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5]])


def delta_cspbi3(scale: float = 1.0):
    """δ-CsPbI3 (Pnma, 20 atoms) from the builder at its reference cell; ``scale`` multiplies all cell lengths."""
    from latticeanchor import data
    from latticeanchor.build import delta_matrix

    st = _structure(delta_matrix(0.0, size=1, T=data.entry("CsPbI3_delta", "cell")["T"]))
    st.scale_lattice(st.volume * float(scale) ** 3)
    return st


def ortho_cspbbr3(scale: float = 1.0, tilt_scale: float = ORTHO_TILT_SCALE):
    """Orthorhombic CsPbBr3 (Pnma, b = 2 a_p axis, 20 atoms) as a GdFeO3-type tilted perovskite."""
    from pymatgen.core import Lattice, Structure

    from latticeanchor import data

    o = data.entry("CsPbBr3_ortho", "cell")
    lat = Lattice.orthorhombic(o["a"] * scale, o["b"] * scale, o["c"] * scale)
    ideal = np.array([[0.0, 0.25, 0.0], [0.0, 0.0, 0.5], [0.5, 0.25, 0.0], [0.25, 0.0, 0.75]])
    catio3 = np.array([[0.0361, 0.25, 0.9941], [0.0, 0.0, 0.5], [0.4850, 0.25, 0.0708], [0.2888, 0.0371, 0.7113]])
    d = catio3 - ideal
    d -= np.round(d)
    coords = ideal + tilt_scale * d
    return Structure.from_spacegroup("Pnma", lat, ["Cs", "Pb", "Br", "Br"], coords.tolist())


# x is one decimal number (1, 1.5, .5, 2.): "alpha-x1.2.3" and "alpha-x." are not phase names
_ALPHA_RE = re.compile(r"^(?:alpha|α)(?:[-_:]?(?:x\s*=?\s*)?(\d+(?:\.\d*)?|\.\d+))?$", re.IGNORECASE)


def known_phase_names() -> list[str]:
    return ["PbS", "PbSe", "alpha", "alpha-CsPbBr3", "alpha-CsPbI3", "alpha-x<x>", "delta", "delta-CsPbI3",
            "ortho", "ortho-CsPbBr3"]


def named_phase(name: str):
    """pymatgen Structure of a known phase name; None if the name is not known.

    Names: 'PbS', 'PbSe', 'alpha' (= α-CsPbBr3), 'alpha-CsPbBr3', 'alpha-CsPbI3', 'alpha-x1.5' /
    'alpha:1.5' (x = Br per formula unit), 'delta' / 'delta-CsPbI3', 'ortho' / 'ortho-CsPbBr3'.
    """
    if not isinstance(name, str):
        raise LatticeAnchorError(f"phase name must be a string, got {name!r}")
    key = name.strip()
    low = key.lower()
    if low in ("pbs", "pbse"):
        return rocksalt("S" if low == "pbs" else "Se")
    if low in ("alpha-cspbbr3", "cspbbr3-alpha"):
        return alpha(3.0)
    if low in ("alpha-cspbi3", "cspbi3-alpha"):
        return alpha(0.0)
    m = _ALPHA_RE.match(low)
    if m:
        if not m.group(1):
            return alpha(3.0)
        try:
            x = float(m.group(1))
        except ValueError:
            raise LatticeAnchorError(f"{name!r}: the Br content after 'alpha-x' must be one number "
                                     "(Br per formula unit, 0-3), e.g. alpha-x1.5") from None
        return alpha(x)
    if low in ("delta", "delta-cspbi3", "δ", "δ-cspbi3"):
        return delta_cspbi3()
    if low in ("ortho", "ortho-cspbbr3", "orthorhombic", "orthorhombic-cspbbr3", "gamma-cspbbr3"):
        return ortho_cspbbr3()
    return None


def phase_kind(name: str) -> str:
    """'rocksalt', 'alpha', 'delta', 'ortho' or 'other' for a phase name."""
    low = name.strip().lower()
    if low in ("pbs", "pbse"):
        return "rocksalt"
    if low.startswith("alpha") or low.startswith("α"):
        return "alpha"
    if low.startswith("delta") or low.startswith("δ"):
        return "delta"
    if low.startswith("ortho") or low.startswith("gamma"):
        return "ortho"
    return "other"


def _sublattice_spacing(st, symbol: str) -> float | None:
    """Median nearest-neighbour distance (Å) between ``symbol`` atoms of an orthogonal periodic cell."""
    idx = [i for i, sp in enumerate(st.species) if getattr(sp, "symbol", str(sp)) == symbol] if st.is_ordered else \
        [i for i, site in enumerate(st) if symbol in {e.symbol for e in site.species.elements}]
    return _median_neighbour_distance(np.asarray(st.cart_coords)[idx], st.lattice.abc)


def _median_neighbour_distance(cart, abc) -> float | None:
    """Median nearest-neighbour distance (Å) of the points ``cart`` (Å) in the orthogonal periodic box ``abc``."""
    from scipy.spatial import cKDTree

    if len(cart) < 2:
        return None
    box = np.array(abc)
    pts = np.mod(cart, box) % box
    dist, _ = cKDTree(pts, boxsize=box).query(pts, k=2)
    return float(np.median(dist[:, 1]))


def parent_cell(st, groups=None):
    """(kind, a_parent Å, (n1, n2, n3)) when ``st`` is an orthogonal n1×n2×n3 supercell of a cubic α
    perovskite cell (Cs present; a hybrid with a dot counts) or of the rock-salt conventional cell
    (Pb with S/Se/Te only); None otherwise (and for the parent cell itself, n = (1, 1, 1), also returned).

    The number of cells along each edge is the edge over the parent constant, which is read from the
    cation sublattice: the Cs–Cs nearest-neighbour distance (= a in α) or √2 × the Pb–Pb one (rock salt),
    medians over the cell, so a dot, vacancies or relaxed positions in a hybrid do not change the count
    (counting cells from the volume per Pb did: the PbS core's denser Pb gave 9 cells for an 8×8×8 hybrid).

    ``groups``: for an ordered ``st``, its element → (fractional coordinates, occupancies, ...) arrays when the
    caller has read them already (:func:`latticeanchor.diffraction.bragg.bragg_pattern` has), so the sites are
    not read again.
    """
    lat = getattr(st, "lattice", None)
    if lat is None or not np.allclose(lat.angles, 90, atol=1e-4):
        return None
    m = lat.matrix
    if not np.allclose(m - np.diag(np.diag(m)), 0, atol=1e-6 * max(lat.abc)):
        return None
    if groups is None:
        els = {e.symbol for e in st.composition.elements}
        n_pb = st.composition["Pb"] if "Pb" in els else 0

        def spacing_of(symbol):
            return _sublattice_spacing(st, symbol)
    else:
        els = set(groups)
        n_pb = float(np.sum(groups["Pb"][1])) if "Pb" in els else 0

        def spacing_of(symbol):
            return _median_neighbour_distance(groups[symbol][0] @ m, lat.abc)
    if n_pb <= 0:
        return None
    if "Cs" in els:
        kind = "alpha"
        spacing = spacing_of("Cs")
        a_guess = spacing if spacing is not None else (lat.volume / n_pb) ** (1 / 3)
    elif els <= {"Pb", "S", "Se", "Te"} and len(els) == 2:
        kind = "rocksalt"
        spacing = spacing_of("Pb")
        a_guess = np.sqrt(2.0) * spacing if spacing is not None else (4.0 * lat.volume / n_pb) ** (1 / 3)
    else:
        return None
    n = np.maximum(1, np.round(np.array(lat.abc) / a_guess)).astype(int)
    a_each = np.array(lat.abc) / n
    if not np.allclose(a_each, a_each.mean(), rtol=1e-6):
        return None
    if abs(a_each.mean() / a_guess - 1) > 0.15:
        return None
    return kind, float(a_each.mean()), tuple(int(v) for v in n)


def _read_cif(path: Path):
    """pymatgen Structure from a CIF, partial occupancies kept (ase drops fractional species)."""
    import warnings

    from pymatgen.io.cif import CifParser

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            structures = CifParser(str(path), occupancy_tolerance=1.05).parse_structures(primitive=False)
    except Exception as exc:  # pymatgen raises many types on bad CIFs
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LatticeAnchorError(f"{path}: cannot read CIF ({msg[:120]})") from None
    if not structures:
        raise LatticeAnchorError(f"{path}: no structure in CIF")
    st = structures[0]
    if len(st) == 0:
        raise LatticeAnchorError(f"{path}: structure has no atoms")
    abc = np.array(st.lattice.abc)
    if not np.all(np.isfinite(abc)) or abc.min() <= 0.5 or abc.max() > 1e4 or st.lattice.volume <= 1.0:
        raise LatticeAnchorError(f"{path}: cell lengths {abc.round(4).tolist()} Å are outside 0.5–10⁴ Å")
    return st


def load_structure(spec):
    """A structure from a known phase name (pymatgen Structure) or any file ase.io reads.

    Periodic files give a pymatgen Structure; non-periodic ones (xyz clusters) an ASE Atoms.
    Structures and Atoms pass through unchanged.
    """
    if not isinstance(spec, (str, Path)):
        from ase import Atoms
        from pymatgen.core import IMolecule, IStructure

        if isinstance(spec, (Atoms, IStructure, IMolecule)):
            return spec
        raise LatticeAnchorError(f"structure must be a phase name, a structure file, a pymatgen Structure or an "
                                 f"ase.Atoms, got {type(spec).__name__} {spec!r:.40}")
    if not str(spec).strip():
        raise LatticeAnchorError("structure: empty name; give a known phase or a structure file")
    if any(ord(c) < 32 for c in str(spec)):
        raise LatticeAnchorError(f"structure {str(spec)!r}: a control character in the name")
    st = named_phase(str(spec)) if isinstance(spec, str) else None
    if st is not None:
        return st
    path = Path(spec)
    if not path.exists():
        raise LatticeAnchorError(f"structure {str(spec)!r} is neither a known phase ({', '.join(known_phase_names())}) nor an existing file")
    if path.is_dir():
        raise LatticeAnchorError(f"{path}: is a folder, not a structure file")
    if not path.is_file():
        raise LatticeAnchorError(f"{path}: not a regular file")
    if path.suffix.lower() == ".cif":
        return _read_cif(path)
    import ase.io

    try:
        atoms = ase.io.read(str(path))
    except Exception as exc:  # ase raises many types
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise LatticeAnchorError(f"{path}: cannot read structure ({msg})") from None
    if len(atoms) == 0:
        raise LatticeAnchorError(f"{path}: structure has no atoms")
    if all(atoms.pbc) and atoms.cell.rank == 3:
        from pymatgen.io.ase import AseAtomsAdaptor

        lengths = atoms.cell.lengths()
        if not np.all(np.isfinite(lengths)) or lengths.max() > 1e4:
            raise LatticeAnchorError(f"{path}: cell lengths {lengths.round(4).tolist()} Å are outside 0.5–10⁴ Å")

        return AseAtomsAdaptor.get_structure(atoms)
    return atoms
