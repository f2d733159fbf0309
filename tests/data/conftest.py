from __future__ import annotations

from pathlib import Path

import pytest
from datahelpers import write_table


@pytest.fixture
def make_table(tmp_path: Path):
    counter = iter(range(1000))

    def make(spec, files=None) -> Path:
        return write_table(tmp_path / f"t{next(counter)}", spec, files)

    return make
