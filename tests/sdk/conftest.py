"""A tiny job folder (entry script, tabular MLTable, command script) for SDK unit tests."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "score.py").write_text(
        "def init():\n    pass\n\n\ndef run(mini_batch):\n    return mini_batch\n"
    )
    (tmp_path / "src" / "prep.py").write_text("print('prep')\n")
    table = tmp_path / "table"
    table.mkdir()
    (table / "data.csv").write_text("a,b\n1,2\n3,4\n")
    (table / "MLTable").write_text(
        "type: mltable\npaths:\n  - file: ./data.csv\ntransformations:\n"
        "  - read_delimited:\n      delimiter: ','\n      header: all_files_same_headers\n"
    )
    return tmp_path
