"""Reading measured powder patterns: 2/3-column text (.xy, .xye, .dat, .csv, .txt), Fit2D ``.chi`` and
PANalytical ``.xrdml``.

Text files: any delimiter (whitespace, comma, semicolon, tab), comment lines (#, !, ;, //, %), header
lines before the data, CRLF line ends, no final newline. A third column is an uncertainty σ for
``.xye`` files or when the header calls it sigma/error/esd, a background when the header says so; with
no hint it is taken as σ if it is within 25 % of √I on average, else as a background. The x-axis unit
(2θ in degrees, q in Å⁻¹ or nm⁻¹) comes from the ``x_unit`` argument, else from the header (Fit2D
writes '2-Theta Angle (Degrees)' or 'Q (nm-1)'), else 2θ. XRDML: wavelength (Kα1, Kα2, ratio) read
from ``usedWavelength`` (Å); positions from start/end or listPositions; intensities or counts.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from latticeanchor.errors import LatticeAnchorError

MAX_FILE_BYTES = 200_000_000  # a powder pattern is at most a few MB; refuse anything far larger
_COMMENT_PREFIXES = ("#", "!", ";", "//", "%", "*")
_SPLIT = re.compile(r"[\s,;]+")


@dataclass
class MeasuredPattern:
    """A measured pattern. ``two_theta`` in degrees, ``q`` in Å⁻¹ (needs ``wavelength`` in Å),
    ``intensity`` in counts (or arbitrary units), optional ``sigma`` and ``background`` (same units)."""

    intensity: np.ndarray
    wavelength: float | None = None
    _two_theta: np.ndarray | None = None
    _q: np.ndarray | None = None
    sigma: np.ndarray | None = None
    background: np.ndarray | None = None
    kalpha2: float | None = None  # Kα2 wavelength (Å) when the file states one
    kalpha2_ratio: float | None = None  # I(Kα2)/I(Kα1)
    source: str = ""
    meta: dict = field(default_factory=dict)

    @property
    def two_theta(self) -> np.ndarray:
        """Scattering angle 2θ in degrees."""
        if self._two_theta is not None:
            return self._two_theta
        if self.wavelength is None:
            raise LatticeAnchorError(f"{self.source or 'pattern'}: x axis is q; give the wavelength to convert to 2θ")
        from latticeanchor.diffraction.profiles import q_to_two_theta

        return q_to_two_theta(self._q, self.wavelength)

    @property
    def q(self) -> np.ndarray:
        """Scattering vector magnitude q = 4π sinθ/λ in Å⁻¹."""
        if self._q is not None:
            return self._q
        if self.wavelength is None:
            raise LatticeAnchorError(f"{self.source or 'pattern'}: wavelength unknown; give it to convert 2θ to q")
        from latticeanchor.diffraction.profiles import two_theta_to_q

        return two_theta_to_q(self._two_theta, self.wavelength)

    @property
    def x_unit(self) -> str:
        return "2theta" if self._two_theta is not None else "q"

    def net_intensity(self) -> np.ndarray:
        """Intensity minus the file's background column (if any)."""
        return self.intensity - (self.background if self.background is not None else 0.0)

    def with_wavelength(self, wavelength) -> "MeasuredPattern":
        from latticeanchor.diffraction.wavelengths import resolve_wavelength

        import dataclasses

        return dataclasses.replace(self, wavelength=resolve_wavelength(wavelength))

    def __len__(self) -> int:
        return len(self.intensity)


def _unit_from_text(text: str) -> str | None:
    t = text.lower()
    if re.search(r"\bq\b|q\s*\(|q_|\bq\[", t):
        if "nm" in t:
            return "q_nm"
        return "q_A"
    if re.search(r"2[\s-]*theta|2θ|two[\s_-]*theta|2th\b|tth|angle", t):
        return "2theta"
    return None


def _normalize_unit(x_unit: str | None) -> str | None:
    if x_unit is None:
        return None
    u = x_unit.strip().lower().replace(" ", "")
    table = {"2theta": "2theta", "2θ": "2theta", "twotheta": "2theta", "deg": "2theta", "degrees": "2theta",
             "tth": "2theta", "q": "q_A", "q_a": "q_A", "q_å": "q_A", "1/a": "q_A", "a^-1": "q_A", "å⁻¹": "q_A",
             "a-1": "q_A", "q_nm": "q_nm", "1/nm": "q_nm", "nm^-1": "q_nm", "nm-1": "q_nm", "nm⁻¹": "q_nm"}
    if u not in table:
        raise LatticeAnchorError(f"x_unit must be '2theta', 'q_A' (Å⁻¹) or 'q_nm' (nm⁻¹), got {x_unit!r}")
    return table[u]


def _wavelength_from_header(text: str) -> float | None:
    m = re.search(r"(?:wavelength|lambda|λ)\s*[:=]?\s*([0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)\s*(nm|å|a|angstrom)?",
                  text, re.IGNORECASE)
    if not m:
        return None
    v = float(m.group(1))
    unit = (m.group(2) or "").lower()
    if unit == "nm" or (not unit and v < 0.3):  # Fit2D writes wavelengths in metres or nm at times
        v = v * 10.0 if v > 1e-3 else v * 1e10
    return v if 0.05 < v < 20 else None


_RADIATION_RE = re.compile(r"radiation:\s*[^;\n]*;\s*lines_A\s+([0-9.eE+\- ]+);\s*weights\s+([0-9.eE+\- ]+)")


def _radiation_from_header(text: str):
    """(lines Å, weights) from a '# radiation: NAME; lines_A ...; weights ...' header (written by
    ``latticeanchor xrd simulate``), else None."""
    m = _RADIATION_RE.search(text)
    if not m:
        return None
    try:
        lines = tuple(float(v) for v in m.group(1).split())
        weights = tuple(float(v) for v in m.group(2).split())
    except ValueError:
        return None
    if not lines or len(lines) != len(weights) or len(lines) > 2 or not all(0.05 < v < 20 for v in lines) \
            or not all(math.isfinite(w) and w > 0 for w in weights):
        return None
    return lines, weights


def _parse_numeric(path: Path, lines: list[str], first_line_no: int = 1):
    """(rows, header text). Raises with file:line on a malformed data line."""
    rows: list[list[float]] = []
    header: list[str] = []
    ncol = None
    for ln, raw in enumerate(lines, start=first_line_no):
        line = raw.strip().lstrip("\ufeff")
        if not line:
            continue
        if line.startswith(_COMMENT_PREFIXES):
            header.append(line)
            continue
        parts = [p for p in _SPLIT.split(line) if p]
        try:
            vals = [float(p) for p in parts]
        except ValueError:
            if not rows:
                header.append(line)
                continue
            raise LatticeAnchorError(f"{path}: line {ln}: not a row of numbers: {line[:60]!r}") from None
        if len(vals) < 2:
            if not rows and len(vals) == 1:  # e.g. a point count in a header
                header.append(line)
                continue
            raise LatticeAnchorError(f"{path}: line {ln}: expected at least 2 columns, got {len(vals)}")
        if not all(math.isfinite(v) for v in vals):
            raise LatticeAnchorError(f"{path}: line {ln}: NaN or infinite value")
        if ncol is None:
            ncol = len(vals)
        elif len(vals) != ncol:
            raise LatticeAnchorError(f"{path}: line {ln}: {len(vals)} columns where earlier rows have {ncol}")
        rows.append(vals)
    if len(rows) < 2:
        raise LatticeAnchorError(f"{path}: line {first_line_no + len(lines) - 1 if lines else 1}: "
                                 "fewer than 2 data rows")
    return np.array(rows, dtype=float), "\n".join(header)


def _third_column_role(path: Path, header: str, y: np.ndarray, c3: np.ndarray, third_column: str) -> str:
    if third_column in ("sigma", "background"):
        return third_column
    if third_column != "auto":
        raise LatticeAnchorError(f"third_column must be 'auto', 'sigma' or 'background', got {third_column!r}")
    h = header.lower()
    if re.search(r"back|bkg|bgr", h):
        return "background"
    if re.search(r"sigma|err|esd|unc|\bdy\b|σ", h) or path.suffix.lower() == ".xye":
        return "sigma"
    pos = y > 0
    if pos.any():
        ratio = np.median(c3[pos] / np.sqrt(y[pos]))
        if 0.75 < ratio < 1.25:
            return "sigma"
    return "background"


def _finish(path, x, y, unit, wavelength, **kw) -> MeasuredPattern:
    if np.any(y < 0) and kw.get("background") is None:
        pass  # background-subtracted data may dip below zero; keep as is
    order = np.argsort(x, kind="stable")
    x = x[order]
    y = y[order]
    for key in ("sigma", "background"):
        if kw.get(key) is not None:
            kw[key] = kw[key][order]
    if len(x) > 1 and np.any(np.diff(x) <= 0):
        i = int(np.flatnonzero(np.diff(x) <= 0)[0])
        raise LatticeAnchorError(f"{path}: x value {x[i]:g} appears more than once; each 2θ/q must appear once")
    if kw.get("sigma") is not None and (np.any(kw["sigma"] <= 0) or not np.all(np.isfinite(kw["sigma"]))):
        i = int(np.flatnonzero(~(kw["sigma"] > 0))[0])
        raise LatticeAnchorError(f"{path}: uncertainty σ = {kw['sigma'][i]:g} at x = {x[i]:g}; σ must be positive")
    if unit == "2theta":
        if x.min() < 0 or x.max() >= 180:
            raise LatticeAnchorError(f"{path}: 2θ values must lie in [0, 180) degrees, got {x.min():g}..{x.max():g}")
        return MeasuredPattern(intensity=y, wavelength=wavelength, _two_theta=x, source=str(path), **kw)
    q = x / 10.0 if unit == "q_nm" else x
    if q.min() < 0:
        raise LatticeAnchorError(f"{path}: q values must be non-negative, got {q.min():g}")
    return MeasuredPattern(intensity=y, wavelength=wavelength, _q=q, source=str(path), **kw)


def _read_text(path: Path, wavelength, x_unit, third_column) -> MeasuredPattern:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except UnicodeDecodeError:  # pragma: no cover
        raise LatticeAnchorError(f"{path}: line 1: not a text file") from None
    if "\x00" in text[:4096]:
        raise LatticeAnchorError(f"{path}: line 1: binary file, not a text pattern")
    lines = text.splitlines()
    first = 1
    header_extra = ""
    if path.suffix.lower() == ".chi":
        if len(lines) < 5:
            raise LatticeAnchorError(f"{path}: line {len(lines)}: Fit2D .chi needs 4 header lines and data")
        header_extra = "\n".join(lines[:4])
        try:
            int(lines[3].strip().split()[0])
        except (ValueError, IndexError):
            raise LatticeAnchorError(f"{path}: line 4: Fit2D .chi point count expected, got {lines[3].strip()[:40]!r}") from None
        lines = lines[4:]
        first = 5
    data, header = _parse_numeric(path, lines, first)
    header = (header_extra + "\n" + header).strip()
    unit = _normalize_unit(x_unit) or (_unit_from_text(header_extra.splitlines()[1]) if header_extra else None) \
        or _unit_from_text(header) or "2theta"
    lam = wavelength if wavelength is not None else _wavelength_from_header(header)
    x, y = data[:, 0], data[:, 1]
    kw = {}
    radiation = _radiation_from_header(header)
    if radiation is not None:
        kw["kalpha2"] = radiation[0][1] if len(radiation[0]) == 2 else None
        kw["kalpha2_ratio"] = radiation[1][1] if len(radiation[0]) == 2 else None
        if lam is None:
            lam = radiation[0][0]
    if data.shape[1] >= 3:
        role = _third_column_role(path, header, y, data[:, 2], third_column)
        kw[role] = data[:, 2].copy()
    meta = {"header": header}
    if radiation is not None:
        meta["radiation_lines"] = radiation
    return _finish(path, x, y, unit, lam, **kw, meta=meta)


def _read_xrdml(path: Path, wavelength) -> MeasuredPattern:
    import xml.etree.ElementTree as ET

    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        line = exc.position[0] if getattr(exc, "position", None) else 1
        raise LatticeAnchorError(f"{path}: line {line}: malformed XRDML ({str(exc).split(':')[0]})") from None

    def local(tag):
        return tag.rsplit("}", 1)[-1]

    def find_all(node, name):
        return [e for e in node.iter() if local(e.tag) == name]

    lam = ka2 = ratio = None
    for uw in find_all(root, "usedWavelength"):
        for child in uw:
            nm = local(child.tag)
            try:
                val = float(child.text)
            except (TypeError, ValueError):
                continue
            if nm == "kAlpha1":
                lam = val
            elif nm == "kAlpha2":
                ka2 = val
            elif nm == "ratioKAlpha2KAlpha1":
                ratio = val
        break
    scans = find_all(root, "dataPoints")
    if not scans:
        raise LatticeAnchorError(f"{path}: line 1: no <dataPoints> in XRDML file")
    dp = scans[0]
    y = None
    for e in dp:
        if local(e.tag) in ("intensities", "counts"):
            try:
                y = np.array([float(v) for v in (e.text or "").split()])
            except ValueError:
                raise LatticeAnchorError(f"{path}: line ?: non-numeric value in <{local(e.tag)}>") from None
            break
    if y is None or y.size < 2:
        raise LatticeAnchorError(f"{path}: line 1: no <intensities>/<counts> data in XRDML file")
    if not np.all(np.isfinite(y)):
        raise LatticeAnchorError(f"{path}: NaN in <intensities>")
    x = None
    omega = None
    for pos in dp:
        if local(pos.tag) != "positions":
            continue
        axis = pos.get("axis")
        vals = {local(c.tag): c.text for c in pos}
        try:
            if axis in ("2Theta", "2theta"):
                if "listPositions" in vals:
                    x = np.array([float(v) for v in (vals["listPositions"] or "").split()])
                elif "startPosition" in vals and "endPosition" in vals:
                    t0, t1 = float(vals["startPosition"]), float(vals["endPosition"])
                    if not (math.isfinite(t0) and math.isfinite(t1)):
                        raise LatticeAnchorError(f"{path}: NaN or infinite 2Theta start/end position")
                    x = np.linspace(t0, t1, y.size)
            elif axis == "Omega":
                if "commonPosition" in vals:
                    omega = ("fixed", float(vals["commonPosition"]))
                elif "startPosition" in vals and "endPosition" in vals:
                    o0, o1 = float(vals["startPosition"]), float(vals["endPosition"])
                    omega = ("fixed", o0) if abs(o1 - o0) < 1e-9 else ("scanned", o0, o1)
                elif "listPositions" in vals:
                    ov = np.array([float(v) for v in (vals["listPositions"] or "").split()])
                    omega = ("fixed", float(ov[0])) if ov.size and np.ptp(ov) < 1e-9 else ("scanned",)
        except (TypeError, ValueError):
            raise LatticeAnchorError(f"{path}: non-numeric value in <positions axis={axis!r}>") from None
    if x is not None and not np.all(np.isfinite(x)):
        raise LatticeAnchorError(f"{path}: NaN or infinite 2Theta position")
    if x is None or x.size != y.size:
        raise LatticeAnchorError(f"{path}: line 1: XRDML 2Theta positions missing or not matching {y.size} intensities")
    if wavelength is not None:
        from latticeanchor.diffraction.wavelengths import resolve_wavelength

        lam = resolve_wavelength(wavelength)
        ka2 = ratio = None
    meta = {"format": "xrdml"}
    scan = find_all(root, "scan")
    scan_axis = scan[0].get("scanAxis") if scan else None
    meta["scan_axis"] = scan_axis
    if omega is not None and omega[0] == "fixed" and scan_axis in ("2Theta", "2theta"):
        meta["geometry"] = "grazing_incidence"
        meta["omega_deg"] = omega[1]
    elif omega is not None and omega[0] == "scanned":
        meta["geometry"] = "bragg_brentano"
    for e in find_all(root, "commonCountingTime"):
        try:
            meta["counting_time_s"] = float(e.text)
        except (TypeError, ValueError):
            pass
        break
    return _finish(path, x, y, "2theta", lam, kalpha2=ka2, kalpha2_ratio=ratio, meta=meta)


def read_pattern(path, wavelength=None, x_unit: str | None = None, third_column: str = "auto") -> MeasuredPattern:
    """Read a measured pattern.

    Parameters
    ----------
    path : .xy, .xye, .dat, .csv, .txt (2 or 3 columns), Fit2D .chi or PANalytical .xrdml.
    wavelength : name ('CuKa'), Å, or 'x keV'; overrides a wavelength in the file (XRDML gives its own).
    x_unit : '2theta' (degrees), 'q_A' (Å⁻¹) or 'q_nm' (nm⁻¹); default from the header, else 2θ.
    third_column : 'auto', 'sigma' or 'background' (see module docstring).
    """
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise LatticeAnchorError(f"path must be a file name (str or pathlib.Path), got {type(path).__name__}")
    if x_unit is not None and not isinstance(x_unit, str):
        raise LatticeAnchorError(f"x_unit must be '2theta', 'q_A' or 'q_nm', got {x_unit!r}")
    _normalize_unit(x_unit)  # an unknown unit is refused before the file is read
    if third_column not in ("auto", "sigma", "background"):
        raise LatticeAnchorError(f"third_column must be 'auto', 'sigma' or 'background', got {third_column!r}")
    path = Path(path)
    if not path.exists():
        raise LatticeAnchorError(f"{path}: no such file")
    if path.is_dir():
        raise LatticeAnchorError(f"{path}: is a folder, not a pattern file")
    if not path.is_file():
        raise LatticeAnchorError(f"{path}: not a regular file (pipe, socket or device); save the pattern to a file")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise LatticeAnchorError(f"{path}: {path.stat().st_size / 1e6:.0f} MB is larger than a pattern file "
                                 f"(limit {MAX_FILE_BYTES / 1e6:.0f} MB)")
    lam = None
    if wavelength is not None and path.suffix.lower() != ".xrdml":
        from latticeanchor.diffraction.wavelengths import resolve_wavelength

        lam = resolve_wavelength(wavelength)
    if path.suffix.lower() == ".xrdml":
        pat = _read_xrdml(path, wavelength)
    else:
        pat = _read_text(path, lam, x_unit, third_column)
    if isinstance(wavelength, str) and pat.kalpha2 is None and re.match(r"^\s*[A-Za-z]{2}\s*K\s*[aα]\s*1?\s*$", wavelength):
        pat.meta["radiation_name"] = wavelength  # the refinement models it as that name means (wavelengths)
    return pat
