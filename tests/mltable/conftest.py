"""tests/mltable: daskprs.mltable. The differential tests reuse the data layer's oracle helpers
(tests/data/oracle_frames.py, compare_frames), so that folder goes on sys.path too."""

from __future__ import annotations

import sys
from pathlib import Path

DATA_TESTS = str(Path(__file__).resolve().parents[1] / "data")
if DATA_TESTS not in sys.path:
    sys.path.insert(0, DATA_TESTS)
