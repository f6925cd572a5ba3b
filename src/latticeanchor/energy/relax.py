"""Structure relaxation with a universal interatomic potential (or any ASE calculator).

``relax(atoms, calculator="chgnet", fmax=0.05, steps=500, cell=True)`` returns a ``RelaxResult``:
the relaxed structure, its energy (eV, eV/atom), the final residual force (eV/Å) and stress (GPa),
the number of optimizer steps and, above all, ``converged``: a run that hits ``steps`` before the
forces (and, with ``cell=True``, the stresses scaled by the cell filter) fall below ``fmax`` is
reported ``converged=False`` — never silently returned as converged.

Calculators (``get_calculator``):

* ``"chgnet"`` (default, extra ``mlip``): CHGNet (Deng et al., Nat. Mach. Intell. 5, 1031 (2023),
  DOI 10.1038/s42256-023-00716-3); the pretrained weights ship inside the ``chgnet`` wheel and are
  loaded with ``CHGNet.load()`` offline.
* ``"sevennet"`` / ``"7net-0"``: SevenNet-0 (Park et al., J. Chem. Theory Comput. 20, 4857 (2024),
  DOI 10.1021/acs.jctc.4c00190); weights ship in the ``sevenn`` wheel (``pip install sevenn``).
* any ``ase.calculators.calculator.Calculator`` instance (MACE, DFT, EMT for tests, ...).

Both MLIPs run on CPU with ``torch.set_num_threads(threads)`` (default 1): on small cells a single
thread is ~10× faster than torch's default thread pool on a shared machine, and parallelism comes
from running candidates side by side (``latticeanchor.energy.scale``).

Cell relaxation uses ASE's ``UnitCellFilter`` by default (``cell_filter="frechet"`` for
``FrechetCellFilter``); ``hydrostatic=True`` keeps the cell shape and relaxes only the volume (e.g.
to keep an α cell cubic); the optimizer is FIRE (deterministic).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np

from latticeanchor.errors import LatticeAnchorError

__all__ = ["relax", "single_point", "get_calculator", "RelaxResult", "calculator_name", "EV_A3_TO_GPA"]

EV_A3_TO_GPA = 160.21766208  # 1 eV/Å³ in GPa

_ALIASES = {"chgnet": "chgnet", "sevennet": "sevennet", "7net-0": "sevennet", "sevennet-0": "sevennet"}


def _set_threads(threads: int | None) -> None:
    if threads is None:
        return
    import torch

    if torch.get_num_threads() != int(threads):
        torch.set_num_threads(int(threads))


@functools.lru_cache(maxsize=4)
def _mlip(name: str, device: str):
    if name == "chgnet":
        try:
            from chgnet.model import CHGNet
            from chgnet.model.dynamics import CHGNetCalculator
        except ImportError:
            raise LatticeAnchorError("calculator 'chgnet' needs the mlip extra: pip install 'latticeanchor[mlip]'") from None
        model = CHGNet.load(verbose=False)
        return CHGNetCalculator(model=model, use_device=device)
    try:
        from sevenn.calculator import SevenNetCalculator
    except ImportError:
        raise LatticeAnchorError("calculator 'sevennet' needs sevenn: pip install sevenn") from None
    return SevenNetCalculator("7net-0", device=device)


def get_calculator(calculator="chgnet", device: str = "cpu", threads: int | None = 1):
    """An ASE calculator: 'chgnet', 'sevennet' (alias '7net-0') or a Calculator instance (returned as is).

    The MLIP models are loaded once per process and reused. ``threads`` sets torch's CPU threads
    (None leaves torch's setting alone).
    """
    if isinstance(calculator, str):
        key = _ALIASES.get(calculator.lower())
        if key is None:
            raise LatticeAnchorError(f"unknown calculator {calculator!r}; use 'chgnet', 'sevennet' or an ASE calculator")
        _set_threads(threads)
        return _mlip(key, device)
    if calculator is None or not hasattr(calculator, "get_potential_energy"):
        raise LatticeAnchorError(f"calculator must be 'chgnet', 'sevennet' or an ASE calculator, got {calculator!r}")
    return calculator


def calculator_name(calculator) -> str:
    """A short, stable name for provenance records ('chgnet', 'sevennet', or the calculator's class)."""
    if isinstance(calculator, str):
        return _ALIASES.get(calculator.lower(), calculator)
    cls = type(calculator).__name__
    return {"CHGNetCalculator": "chgnet", "SevenNetCalculator": "sevennet"}.get(cls, cls)


@dataclass
class RelaxResult:
    """Outcome of ``relax``. Energies eV, forces eV/Å, stresses GPa, lengths Å."""

    atoms: object  # ase.Atoms, relaxed, with a SinglePointCalculator holding the final results
    energy: float  # eV (total)
    energy_per_atom: float  # eV/atom
    converged: bool
    steps: int
    fmax: float  # requested threshold, eV/Å
    max_force: float  # final max |F| on atoms, eV/Å
    max_stress: float  # final max |σ_ij|, GPa (0 when cell=False and the calculator gives none)
    cell_relaxed: bool
    calculator: str
    initial_energy: float  # eV, before relaxation
    energies: list = field(default_factory=list)  # eV per optimizer step (the convergence record)

    @property
    def volume_per_atom(self) -> float:
        """Å³/atom of the relaxed cell."""
        return float(self.atoms.get_volume() / len(self.atoms))

    def record(self) -> dict:
        """JSON-ready convergence record (no structure)."""
        return {"energy_eV": self.energy, "energy_per_atom_eV": self.energy_per_atom,
                "converged": self.converged, "steps": self.steps, "fmax_eV_per_A": self.fmax,
                "max_force_eV_per_A": self.max_force, "max_stress_GPa": self.max_stress,
                "cell_relaxed": self.cell_relaxed, "calculator": self.calculator,
                "initial_energy_eV": self.initial_energy, "volume_A3": float(self.atoms.get_volume())}


def _freeze(atoms, calc):
    """Copy of atoms with the calculator's current results frozen in a SinglePointCalculator."""
    from ase.calculators.singlepoint import SinglePointCalculator

    out = atoms.copy()
    results = {"energy": float(atoms.get_potential_energy()), "forces": np.array(atoms.get_forces())}
    try:
        results["stress"] = np.array(atoms.get_stress())
    except Exception:  # calculators without stress (cell=False runs)
        pass
    out.calc = SinglePointCalculator(out, **results)
    return out


def single_point(atoms, calculator="chgnet", **calc_kwargs) -> float:
    """Total energy (eV) of ``atoms`` as given (no relaxation); ``atoms`` is not modified."""
    work = atoms.copy()
    work.calc = get_calculator(calculator, **calc_kwargs)
    return float(work.get_potential_energy())


def relax(atoms, calculator="chgnet", fmax: float = 0.05, steps: int = 500, cell: bool = True,
          hydrostatic: bool = False, optimizer: str = "FIRE", cell_filter: str = "unit", trajectory=None,
          **calc_kwargs) -> RelaxResult:
    """Relax ``atoms`` (not modified) with ``calculator``.

    fmax: force threshold in eV/Å (with ``cell=True`` it also bounds the filter's virial-derived
    generalized forces, i.e. stresses × volume / atoms, in eV/Å); steps: optimizer step limit;
    cell: relax the cell too; hydrostatic: keep the cell shape, relax the volume; cell_filter:
    "unit" (ASE UnitCellFilter, default: cheap) or "frechet" (FrechetCellFilter: exact for large
    strains, but its matrix-exponential derivatives cost more than CHGNet itself on ≤ 50 atoms).
    Returns a ``RelaxResult`` whose ``converged`` is False when ``steps`` ran out first.
    """
    from ase.optimize import BFGS, FIRE, LBFGS

    if len(atoms) == 0:
        raise LatticeAnchorError("relax: atoms is empty")
    if not fmax > 0:
        raise LatticeAnchorError(f"fmax must be positive (eV/Å), got {fmax!r}")
    if int(steps) < 0:
        raise LatticeAnchorError(f"steps must be ≥ 0, got {steps!r}")
    opt_cls = {"FIRE": FIRE, "BFGS": BFGS, "LBFGS": LBFGS}.get(str(optimizer).upper())
    if opt_cls is None:
        raise LatticeAnchorError(f"unknown optimizer {optimizer!r}; use FIRE, BFGS or LBFGS")
    if cell and not np.all(atoms.pbc):
        raise LatticeAnchorError("cell=True needs a periodic structure (pbc all True)")
    calc = get_calculator(calculator, **calc_kwargs)
    work = atoms.copy()
    work.calc = calc
    initial = float(work.get_potential_energy())
    target = work
    if cell:
        from ase.filters import FrechetCellFilter, UnitCellFilter

        filters = {"unit": UnitCellFilter, "frechet": FrechetCellFilter}
        if cell_filter not in filters:
            raise LatticeAnchorError(f"cell_filter must be 'unit' or 'frechet', got {cell_filter!r}")
        target = filters[cell_filter](work, hydrostatic_strain=hydrostatic)
    energies: list[float] = []
    opt = opt_cls(target, logfile=None, trajectory=trajectory)
    opt.attach(lambda: energies.append(float(work.get_potential_energy())), interval=1)
    opt.run(fmax=fmax, steps=int(steps))
    # judge convergence ourselves, from the final state (not from the optimizer's return value)
    gen_forces = target.get_forces()
    gen_fmax = float(np.sqrt((gen_forces**2).sum(axis=1).max())) if len(gen_forces) else 0.0
    forces = work.get_forces()
    max_force = float(np.sqrt((forces**2).sum(axis=1).max()))
    try:
        max_stress = float(np.abs(work.get_stress()).max() * EV_A3_TO_GPA)
    except Exception:
        max_stress = 0.0
    converged = bool(gen_fmax <= fmax and max_force <= fmax)
    energy = float(work.get_potential_energy())
    frozen = _freeze(work, calc)
    return RelaxResult(atoms=frozen, energy=energy, energy_per_atom=energy / len(work), converged=converged,
                       steps=int(opt.nsteps), fmax=float(fmax), max_force=max_force, max_stress=max_stress,
                       cell_relaxed=bool(cell), calculator=calculator_name(calculator), initial_energy=initial,
                       energies=energies)
