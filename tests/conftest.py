import os
from pathlib import Path

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")

REPO = Path(__file__).resolve().parents[1]
MEASURED = REPO.parent / "shared" / "measured"


@pytest.fixture
def measured_dir():
    """The shared measured patterns (never copied into the repo); skip when absent."""
    if not MEASURED.is_dir():
        pytest.skip(f"measured patterns not found at {MEASURED} (they live in ../shared/measured beside the repo)")
    return MEASURED
