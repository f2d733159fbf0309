"""The session's environment cache (real builds are reused across the tests)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def env_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("envs")
