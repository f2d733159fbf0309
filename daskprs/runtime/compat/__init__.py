"""Packages Azure's parallel runtime provides to entry scripts, for entry processes only.

``azureml_user`` (``from azureml_user.parallel_run import EntryScript``) lives in this folder,
which :func:`activate` appends to ``sys.path`` inside an entry process. Installing daskprs adds
no top-level ``azureml_user`` to an environment, and the driver and Dask workers never see it.
"""

from __future__ import annotations

import os
import sys

COMPAT_DIR = os.path.dirname(os.path.abspath(__file__))


def activate() -> None:
    """Make ``import azureml_user`` work in this (entry) process, after the user's own paths."""
    if COMPAT_DIR not in sys.path:
        sys.path.append(COMPAT_DIR)
