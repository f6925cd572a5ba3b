"""Write the reference CIFs of this folder from the cited data in latticeanchor/data/materials.json.

Run from the repository root:  python structures/make_structures.py  (idempotent, byte-stable).
Each CIF is symmetrised by pymatgen's CifWriter (symprec 0.01 Å) and starts with comment lines naming
the data entry and its source. Lattice constants are the measured values at their own temperatures.
"""

from __future__ import annotations

import sys
from pathlib import Path

from pymatgen.io.cif import CifWriter

from latticeanchor import __version__, data
from latticeanchor.atomic import write_text
from latticeanchor.build import alpha_matrix, delta_matrix, rocksalt_cell
from latticeanchor.io import to_structure

HERE = Path(__file__).resolve().parent

# (file, material, quantity entry key or None for the default, builder)
ENTRIES = [
    ("alpha-CsPbI3.cif", "CsPbI3_alpha", "trots2008_cubic"),
    ("alpha-CsPbBr3.cif", "CsPbBr3_alpha", "stoumpos2013_cubic"),
    ("delta-CsPbI3.cif", "CsPbI3_delta", None),
    ("PbS.cif", "PbS", None),
    ("PbSe.cif", "PbSe", None),
]


def _lattice_entry(material: str, key: str | None) -> dict:
    block = data.load()["materials"][material]["lattice_constant"]
    key = block["default"] if key is None else key
    return dict(block["entries"][key], key=key)


def build(material: str, key: str | None):
    """(Atoms, header lines) of one reference structure."""
    if material == "CsPbI3_delta":
        cell = data.entry(material, "cell")
        wyck = data.entry(material, "wyckoff")
        atoms = delta_matrix(0.0, size=1, T=cell["T"])
        header = [f"delta-CsPbI3, Pnma (62), a = {cell['a']} b = {cell['b']} c = {cell['c']} A at {cell['T']} K",
                  f"cell: {cell['source']}", f"sites: {wyck['source']}"]
        return atoms, header
    lat = _lattice_entry(material, key)
    if material in ("PbS", "PbSe"):
        atoms = rocksalt_cell(material, a=lat["value"])
        sg = "Fm-3m (225)"
    else:
        x = 0.0 if material == "CsPbI3_alpha" else 3.0
        atoms = alpha_matrix(x, size=1, a=lat["value"])
        sg = "Pm-3m (221)"
    header = [f"{material}, {sg}, a = {lat['value']} A at {lat['T']} K (entry {lat['key']})", f"source: {lat['source']}"]
    return atoms, header


def main(outdir: Path = HERE) -> list[Path]:
    written = []
    for fname, material, key in ENTRIES:
        atoms, header = build(material, key)
        cif = str(CifWriter(to_structure(atoms), symprec=0.01))
        lines = [f"# {fname}: written by structures/make_structures.py (latticeanchor {__version__})"]
        lines += [f"# {h}" for h in header]
        path = Path(outdir) / fname
        write_text(path, "\n".join(lines) + "\n" + cif)
        written.append(path)
    return written


if __name__ == "__main__":
    for p in main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE):
        print(p)
