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


def test_no_charge_balance_warns_with_the_charge(tmp_path, capsys):
    out = tmp_path / "h.vasp"
    assert main(["build", "--diameter", "1.2", "--size", "5", "--no-charge-balance", "-o", str(out)]) == 0
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
