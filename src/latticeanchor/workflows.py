"""The energy pipeline as jobflow ``Job``s and ``Flow``s (extra ``workflows``: ``pip install jobflow``).

    build_structures_job(candidate, settings)   -> α/δ bulk, core bulk and α/δ hybrids (pymatgen Structures)
    relax_maker(structure, name)                -> one Job per structure (default: ``mlip_relax_job``)
    analyse_job(candidate, build, relaxed)      -> misfit energies, α − δ differences (as ``anchoring``)
    anchoring_flow(candidate, settings, relax_maker=None) -> Flow of the above

``relax_maker`` is the swap point for atomate2 users: any callable ``(structure, name) -> Job`` whose
output is either a dict with "energy" (eV) and "structure", or an atomate2 ``TaskDoc`` (its
``output.energy`` and ``structure`` are used), e.g.::

    from atomate2.vasp.flows.core import DoubleRelaxMaker
    flow = anchoring_flow(cand, relax_maker=lambda s, name: DoubleRelaxMaker(name=name).make(s))

Run locally with ``jobflow.run_locally(flow, store=JobStore(MemoryStore()))`` or on a cluster with
jobflow-remote / FireWorks. Energies eV, eV/f.u., eV/atom; lengths Å. Unlike ``anchoring``, the
analysis here takes μ of the matrix at the bulk cell's x (no end-member correction): exact when the
hybrid's matrix halide count gives the same x (as for the internal builder's k, n in the tests).
"""

from __future__ import annotations

from latticeanchor.build._common import parse_size
from latticeanchor.errors import LatticeAnchorError

try:
    from jobflow import Flow, Response, job
except ImportError as _exc:  # pragma: no cover - exercised only without the extra
    raise ImportError("latticeanchor.workflows needs the workflows extra: pip install 'latticeanchor[workflows]'") from _exc

__all__ = ["build_structures_job", "mlip_relax_job", "analyse_job", "anchoring_flow", "STRUCTURE_NAMES"]

STRUCTURE_NAMES = ("alpha_bulk", "delta_bulk", "core_bulk", "alpha_hybrid", "delta_hybrid")


def _to_structure(atoms):
    from pymatgen.io.ase import AseAtomsAdaptor

    return AseAtomsAdaptor.get_structure(atoms)


def _to_atoms(structure):
    from pymatgen.core import Structure
    from pymatgen.io.ase import AseAtomsAdaptor

    if isinstance(structure, dict):
        structure = Structure.from_dict(structure)
    atoms = AseAtomsAdaptor.get_atoms(structure)
    atoms.calc = None
    return atoms


@job
def build_structures_job(candidate: dict, settings: dict | None = None) -> dict:
    """Bulk references and hybrids of one candidate (internal builder; see ``energy.anchoring``).

    settings: n (α cells), k (core cells), delta_size, seed, rattle (Å, seeded displacements of every
    output structure, as in ``anchoring``; default 0.03). Returns Structures plus the hybrids'
    interface-atom counts (from the unrattled hybrids).
    """
    from latticeanchor.energy import anchoring as anc

    s = {"n": 2, "k": 1, "delta_size": (1, 2, 1), "seed": 0, "rattle": 0.03}
    s.update(settings or {})
    core, x, T = candidate["core"], float(candidate["x"]), float(candidate.get("T", 298.15))
    n, k, dsize, seed = parse_size(s["n"]), parse_size(s["k"]), parse_size(s["delta_size"]), int(s["seed"])
    alpha = anc.alpha_cell(x, n, T=T, seed=seed)
    delta = anc.delta_cell(x, dsize, seed=seed, T=T)
    rock = anc.rocksalt_cell(core, T=T)
    h_a = anc.alpha_hybrid(core, x, n=n, k=k, T=T, seed=seed)
    h_d = anc.delta_hybrid(core, x, size=dsize, k=max(k), T=T, seed=seed)
    n_int = {"n_interface_alpha": anc.interface_atoms(h_a), "n_interface_delta": anc.interface_atoms(h_d)}
    out = {}
    for name, atoms in (("alpha_bulk", alpha), ("delta_bulk", delta), ("core_bulk", rock),
                        ("alpha_hybrid", h_a), ("delta_hybrid", h_d)):
        if float(s["rattle"]) > 0:
            atoms = atoms.copy()
            atoms.rattle(stdev=float(s["rattle"]), seed=anc.RATTLE_SEED)
        out[name] = _to_structure(atoms)
    out.update(n_int)
    return out


@job
def mlip_relax_job(structure, calculator: str = "chgnet", fmax: float = 0.05, steps: int = 500,
                   cell: bool = True, cell_filter: str = "unit") -> dict:
    """Relax one structure with an MLIP (``energy.relax``): {"structure", "energy" (eV), "converged", ...}."""
    from latticeanchor.energy.relax import relax

    res = relax(_to_atoms(structure), calculator=calculator, fmax=fmax, steps=steps, cell=cell,
                cell_filter=cell_filter)
    out = res.record()
    out["structure"] = _to_structure(res.atoms)
    out["energy"] = res.energy
    return out


def _energy(output) -> float:
    if isinstance(output, dict):
        if "energy" in output and output["energy"] is not None:
            return float(output["energy"])
        inner = output.get("output")
        if inner is not None:
            return _energy(inner if isinstance(inner, dict) else inner.__dict__)
    if hasattr(output, "output"):  # atomate2 TaskDoc
        return float(output.output.energy)
    raise LatticeAnchorError(f"cannot find an energy in relax output of type {type(output).__name__}")


@job
def analyse_job(candidate: dict, built: dict, relaxed: dict) -> dict:
    """Misfit energies and α − δ differences from the relaxed energies (see ``energy.anchoring``)."""
    from latticeanchor.energy import anchoring as anc

    e = {name: _energy(relaxed[name]) for name in STRUCTURE_NAMES}
    atoms = {name: _to_atoms(built[name]) for name in STRUCTURE_NAMES}
    comp = {name: anc.composition(a) for name, a in atoms.items()}
    mu_a = e["alpha_bulk"] / comp["alpha_bulk"]["n_fu"]
    mu_d = e["delta_bulk"] / comp["delta_bulk"]["n_fu"]
    mu_c = e["core_bulk"] / comp["core_bulk"]["m_core"]
    ma = anc.misfit_energy(e["alpha_hybrid"], atoms["alpha_hybrid"], mu_a, mu_c, built["n_interface_alpha"])
    md = anc.misfit_energy(e["delta_hybrid"], atoms["delta_hybrid"], mu_d, mu_c, built["n_interface_delta"])
    ca, cd = comp["alpha_hybrid"], comp["delta_hybrid"]
    hybrid = ((e["delta_hybrid"] - cd["m_core"] * mu_c) / cd["n_fu"]
              - (e["alpha_hybrid"] - ca["m_core"] * mu_c) / ca["n_fu"])
    converged = all(bool(relaxed[n].get("converged", True)) if isinstance(relaxed[n], dict) else True
                    for n in STRUCTURE_NAMES)
    return {"core": candidate["core"], "x": float(candidate["x"]), "energies_eV": e,
            "mu_alpha_eV_per_fu": mu_a, "mu_delta_eV_per_fu": mu_d, "mu_core_eV_per_unit": mu_c,
            "dE_delta_alpha_pristine_eV_per_fu": mu_d - mu_a, "dE_delta_alpha_hybrid_eV_per_fu": hybrid,
            "anchoring_eV_per_fu": hybrid - (mu_d - mu_a),
            "misfit_alpha_eV": ma["misfit_eV"], "misfit_alpha_eV_per_fu": ma["misfit_eV_per_fu"],
            "misfit_alpha_eV_per_interface_atom": ma["misfit_eV_per_interface_atom"],
            "misfit_delta_eV": md["misfit_eV"], "misfit_delta_eV_per_fu": md["misfit_eV_per_fu"],
            "misfit_delta_eV_per_interface_atom": md["misfit_eV_per_interface_atom"],
            "converged": converged}


def anchoring_flow(candidate: dict, settings: dict | None = None, relax_maker=None, name: str | None = None) -> Flow:
    """Flow: build → one relax Job per structure (``relax_maker``) → analyse. Its output is the analysis.

    settings: builder settings (n, k, delta_size, seed) and, for the default MLIP maker, calculator,
    fmax (eV/Å), steps, cell, cell_filter.
    """
    s = dict(settings or {})
    relax_keys = ("calculator", "fmax", "steps", "cell", "cell_filter")
    relax_kw = {k: s.pop(k) for k in relax_keys if k in s}
    if relax_maker is None:
        def relax_maker(structure, job_name):
            j = mlip_relax_job(structure, **relax_kw)
            j.name = job_name
            return j
    build = build_structures_job(dict(candidate), s)
    build.name = "build structures"
    relax_jobs = {n: relax_maker(build.output[n], f"relax {n}") for n in STRUCTURE_NAMES}
    analyse = analyse_job(dict(candidate), build.output, {n: j.output for n, j in relax_jobs.items()})
    analyse.name = "analyse anchoring"
    label = name or f"anchoring {candidate['core']} x={float(candidate['x']):g}"
    return Flow([build, *relax_jobs.values(), analyse], output=analyse.output, name=label)


# keep Response importable for users composing dynamic flows
_ = Response
