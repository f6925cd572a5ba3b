"""jobflow workflow: run_locally with an in-memory store gives the same numbers as direct calls."""

import pytest

jobflow = pytest.importorskip("jobflow")
pytest.importorskip("maggma")

from jobflow import JobStore, job, run_locally  # noqa: E402
from maggma.stores import MemoryStore  # noqa: E402

from latticeanchor.energy import anchoring as anc  # noqa: E402


@job
def single_point_job(structure):
    """A swapped-in 'maker' (stands for an atomate2 VASP maker): energy of the structure as given."""
    from latticeanchor.energy import single_point
    from latticeanchor.workflows import _to_atoms

    return {"energy": single_point(_to_atoms(structure), "chgnet"), "structure": structure, "converged": True}


def test_flow_structure_and_custom_maker():
    pytest.importorskip("chgnet")
    from latticeanchor.energy import single_point
    from latticeanchor.workflows import STRUCTURE_NAMES, anchoring_flow

    cand = {"core": "PbS", "x": 2.0, "T": 298.15}
    flow = anchoring_flow(cand, {"n": 2, "k": 1, "delta_size": (1, 2, 1), "rattle": 0.0},
                          relax_maker=lambda s, name: single_point_job(s))
    assert len(flow.jobs) == 2 + len(STRUCTURE_NAMES)
    store = JobStore(MemoryStore())
    responses = run_locally(flow, store=store, ensure_success=True, log=False)
    out = responses[flow.jobs[-1].uuid][1].output
    # the same numbers from direct calculator calls on the same structures
    e = {"alpha_bulk": single_point(anc.alpha_cell(2.0, 2), "chgnet"),
         "delta_bulk": single_point(anc.delta_cell(2.0, (1, 2, 1)), "chgnet"),
         "core_bulk": single_point(anc.rocksalt_cell("PbS"), "chgnet"),
         "alpha_hybrid": single_point(anc.alpha_hybrid("PbS", 2.0, n=2, k=1), "chgnet"),
         "delta_hybrid": single_point(anc.delta_hybrid("PbS", 2.0, size=(1, 2, 1), k=1), "chgnet")}
    for name, value in e.items():
        assert out["energies_eV"][name] == pytest.approx(value, abs=1e-4)
    mu_a, mu_c = e["alpha_bulk"] / 8, e["core_bulk"] / 4
    assert out["misfit_alpha_eV"] == pytest.approx(e["alpha_hybrid"] - 7 * mu_a - 4 * mu_c, abs=1e-3)
    assert out["dE_delta_alpha_pristine_eV_per_fu"] == pytest.approx((e["delta_bulk"] - e["alpha_bulk"]) / 8, abs=1e-4)
    # the result is in the store
    doc = store.query_one({"uuid": flow.jobs[-1].uuid}, load=True)
    assert doc["output"]["misfit_delta_eV"] == pytest.approx(out["misfit_delta_eV"])


def test_default_mlip_flow_small_slab():
    """Default MLIP maker end to end on ≤ 40-atom cells (α slab superlattice; δ cell 1×2×1 bulk)."""
    pytest.importorskip("chgnet")
    from latticeanchor.workflows import build_structures_job, mlip_relax_job

    b = build_structures_job({"core": "PbS", "x": 0.0}, {"n": (1, 1, 2), "k": 1, "delta_size": (1, 2, 1)})
    r = mlip_relax_job(b.output["alpha_hybrid"], fmax=0.05, steps=300)
    responses = run_locally([b, r], store=JobStore(MemoryStore()), ensure_success=True, log=False)
    rel = responses[r.uuid][1].output
    assert rel["converged"] and len(rel["structure"]) == 13
    from latticeanchor.energy import single_point
    from latticeanchor.workflows import _to_atoms
    assert rel["energy"] == pytest.approx(single_point(_to_atoms(rel["structure"]), "chgnet"), abs=1e-4)
