import pytest

from latticeanchor.cli import main


def test_build_command_writes_and_reports(tmp_path, capsys):
    out = tmp_path / "hybrid.vasp"
    rc = main(["build", "--core", "PbS", "--diameter", "1.2", "--shape", "wulff", "--matrix", "alpha", "--x", "2",
               "--size", "5", "--seed", "1", "-o", str(out)])  # charge balanced by default
    assert rc == 0 and out.is_file()
    text = capsys.readouterr().out
    assert "formal charge sum" in text and ": 0\n" in text and "contacts below their pair limit: 0" in text
    assert "check: OK" in text and "Pb coordination" in text


@pytest.mark.parametrize("extra,word", [(["--diameter", "8", "--size", "5"], "larger than the matrix"),
                                        (["--size", "0"], "size"), (["--x", "3.5"], "x must"),
                                        (["--shape", "cube"], "shape"), (["--core", "CdSe"], "core"),
                                        (["--matrix", "gamma"], "matrix")])
def test_bad_input_one_line_no_file(tmp_path, capsys, extra, word):
    out = tmp_path / "bad.vasp"
    assert main(["build", "-o", str(out)] + extra) == 2
    err = capsys.readouterr().err.strip()
    assert word in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("extra,word", [(["--diameter", "20", "--max-atoms", "5000"], "max-atoms"),
                                        (["--size", "2000"], "max-atoms"),
                                        (["--diameter", "nan"], "finite"), (["--diameter", "-3"], "plausible dot size"),
                                        (["--diameter", "0"], "plausible dot size"),
                                        (["--diameter", "30"], "did you give Å? 30 Å is 3 nm"), (["--T", "inf"], "finite"),
                                        (["--core", ""], "core"), (["--clearance", "-1"], "clearance"),
                                        (["--max-atoms", "0"], "max-atoms")])
def test_refused_before_work(tmp_path, capsys, extra, word):
    out = tmp_path / "bad.vasp"
    assert main(["build", "-o", str(out)] + extra) == 2
    err = capsys.readouterr().err.strip()
    assert word in err and "\n" not in err and list(tmp_path.iterdir()) == []


def test_output_path_errors(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    for target in (tmp_path, tmp_path / "file" / "h.vasp"):
        assert main(["build", "--diameter", "1", "--size", "4", "-o", str(target)]) == 2
        err = capsys.readouterr().err.strip()
        assert "output" in err and "\n" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_no_charge_balance_refused_for_dft_then_forced_with_a_warning(tmp_path, capsys):
    out = tmp_path / "h.vasp"
    args = ["build", "--diameter", "1.2", "--size", "5", "--no-charge-balance", "-o", str(out)]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert "fails build.check" in err and "--force" in err and "\n" not in err and list(tmp_path.iterdir()) == []
    assert main(args + ["--force"]) == 0
    cap = capsys.readouterr()
    from ase.io import read

    q = sum({"Cs": 1, "Pb": 2, "I": -1, "Br": -1, "S": -2}[s] for s in read(out).get_chemical_symbols())
    assert q != 0 and f"formal charge of {q:+d}" in cap.err and "check: FAILED" in cap.out


def test_readme_build_line_takes_nm_like_screen_and_mismatch(tmp_path, capsys):
    """The README's own `build --diameter 3` line: 3 nm, a 30 Å dot (the nm of screen and mismatch)."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    line = re.search(r"`latticeanchor (build --core [^`]*)`", readme).group(1)
    argv = [a for a in re.sub(r"\[[^]]*\]", "", line).split() if a]
    argv[argv.index("-o") + 1] = str(tmp_path / "hybrid.vasp")
    assert argv[argv.index("--diameter") + 1] == "3"
    assert main(argv) == 0
    from ase.io import read

    h = read(tmp_path / "hybrid.vasp")
    assert "check: OK" in capsys.readouterr().out
    n_core = sum(1 for s in h.get_chemical_symbols() if s == "S")
    # a 3 nm PbS Wulff dot (volume-equivalent): 4 anions per a³ over π d³/6, a = 5.936 Å, within 15 %
    assert n_core == pytest.approx(4 * 3.14159 * 30.0**3 / 6 / 5.936**3, rel=0.15)


def test_build_writes_runnable_input_sets(tmp_path, capsys):
    """-o x.vasp: POSCAR + INCAR + KPOINTS + POTCAR.spec + provenance; .pwi and .gpaw.py: one file each."""
    from pymatgen.io.vasp import Incar, Kpoints

    base = ["build", "--diameter", "1.2", "--size", "4", "--seed", "1"]
    assert main(base + ["-o", str(tmp_path / "x.vasp")]) == 0
    assert "x.INCAR" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.INCAR", "x.KPOINTS", "x.POTCAR.spec", "x.provenance.json",
                                                         "x.vasp"]
    assert Incar.from_file(tmp_path / "x.INCAR")["EDIFFG"] == -0.02
    mesh = tuple(Kpoints.from_file(tmp_path / "x.KPOINTS").kpts[0])
    assert main(base + ["-o", str(tmp_path / "x.pwi")]) == 0
    assert f"K_POINTS automatic\n{mesh[0]} {mesh[1]} {mesh[2]} 0 0 0" in (tmp_path / "x.pwi").read_text()
    assert main(base + ["-o", str(tmp_path / "x.gpaw.py")]) == 0
    script = (tmp_path / "x.gpaw.py").read_text()
    assert "PW(400)" in script and f'"size": {mesh}' in script and "txt='x.gpaw.txt'" in script
    compile(script, "x.gpaw.py", "exec")
