"""`latticeanchor data`: what a dataset resolves to (``show``) and a file of those values to edit (``template``).

``data show [--dataset NAME | --materials FILE] [--matrix NAME]`` prints every value the models use with its
source; ``data template [...] -o my.json`` writes them as a complete materials file (dataset ``mine``) that
``--materials FILE`` and ``study.materials`` accept back (validated: units and ranges, unknown keys refused,
every value needs a source).
"""

from __future__ import annotations


def add_parser(sub) -> None:
    p = sub.add_parser("data", help="show the reference values in use, or write them as a materials file to edit",
                       description="Show what a dataset resolves to (with sources), or write a materials file "
                                   "of those values (latticeanchor data template -o my.json) to edit and pass back "
                                   "with --materials FILE.")
    p.add_argument("action", choices=("show", "template"), help="show: print the values; template: write a file")
    p.add_argument("--dataset", default=None, help="dataset name of the package data (default: the package default)")
    p.add_argument("--materials", default=None, metavar="FILE", help="a materials JSON file instead of --dataset")
    p.add_argument("--matrix", default=None, help="matrix alloy, e.g. 'MAPb(Br,I)3' (default: CsPb(Br,I)3)")
    p.add_argument("-o", "--out", default=None, help="template: output .json file (required)")
    p.set_defaults(func=run)


def _set(args):
    from latticeanchor import data
    from latticeanchor.errors import LatticeAnchorError

    if args.materials is not None and args.dataset is not None:
        raise LatticeAnchorError("give --dataset or --materials, not both")
    return data.dataset(args.materials if args.materials is not None else args.dataset, args.matrix)


def run(args) -> int:
    from latticeanchor.atomic import check_target, write_text
    from latticeanchor.errors import LatticeAnchorError

    if args.action == "template":
        if args.out is None:
            raise LatticeAnchorError("data template: give the output file with -o FILE.json")
        check_target(args.out, "-o", (".json",))
        import json

        from latticeanchor.data.userfile import template

        ms = _set(args)
        write_text(args.out, json.dumps(template(ms), indent=1, ensure_ascii=False) + "\n")
        print(f"# wrote the values of {ms.name!r} (matrix {ms.default_matrix}) to {args.out}; edit, then pass it "
              "with --materials FILE")
        return 0
    if args.out is not None:
        raise LatticeAnchorError("-o is for data template")
    ms = _set(args)
    m = ms.matrix()
    print(f"# dataset {ms.name}, matrix {m.name} (x = {m.halides[0]} per formula unit; x = 3: {m.x3.name}, "
          f"x = 0: {m.x0.name}); units: Å, K, 1/K, GPa, eV")
    for r in ms.sources():
        value = r["value"]
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v:g}" if isinstance(v, (int, float)) else f"{k} {v}" for k, v in value.items())
        elif isinstance(value, float):
            value = f"{value:g}"
        t = "" if r["T"] is None else f" at {r['T']:g} K"
        print(f"{r['material']}.{r['quantity']} = {value}{t} [{r['confidence']}, {r['key']}] {r['source']}")
    return 0
