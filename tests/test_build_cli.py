import pytest

from latticeanchor.cli import main


def test_build_command_writes_and_reports(tmp_path, capsys):
    out = tmp_path / "hybrid.vasp"
    rc = main(["build", "--core", "PbS", "--diameter", "12", "--shape", "wulff", "--matrix", "alpha", "--x", "2",
               "--size", "5", "--seed", "1", "-o", str(out)])  # charge balanced by default
    assert rc == 0 and out.is_file()
    text = capsys.readouterr().out
    assert "formal charge sum" in text and ": 0\n" in text and "contacts below their pair limit: 0" in text
    assert "check: OK" in text and "Pb coordination" in text


@pytest.mark.parametrize("extra,word", [(["--diameter", "80", "--size", "5"], "larger than the matrix"),
                                        (["--size", "0"], "size"), (["--x", "3.5"], "x must"),
                                        (["--shape", "cube"], "shape"), (["--core", "CdSe"], "core"),
                                        (["--matrix", "gamma"], "matrix")])
def test_bad_input_one_line_no_file(tmp_path, capsys, extra, word):
    out = tmp_path / "bad.vasp"
    assert main(["build", "-o", str(out)] + extra) == 2
    err = capsys.readouterr().err.strip()
    assert word in err and "\n" not in err
    assert list(tmp_path.iterdir()) == []
