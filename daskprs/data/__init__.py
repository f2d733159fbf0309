"""The data layer: MLTable files, file listings, mini-batch planning and loading.

Flow: :func:`load_mltable` (parse + validate, ``mltable_spec``) -> :func:`plan_mini_batches`
(pure planning from metadata, ``planning``, ``table_plan``, ``keys``) -> :func:`load_piece`
(inside a worker, ``pieces``, ``transforms``). What differs by reader lives in one
:mod:`daskprs.data.formats` module per format; the shared dataclasses in ``model``.
:func:`read_mltable` is the same as a Dask DataFrame.
"""

from daskprs.data.mltable_spec import load_mltable
from daskprs.data.model import MiniBatchPiece, MLTable
from daskprs.data.paths import list_input_files
from daskprs.data.pieces import load_piece
from daskprs.data.planning import plan_mini_batches
from daskprs.data.sizes import parse_mini_batch_size


def __getattr__(name: str):  # read_mltable imports dask.dataframe: only when asked for
    if name == "read_mltable":
        from daskprs.data.frame import read_mltable

        return read_mltable
    raise AttributeError(f"module 'daskprs.data' has no attribute {name!r}")


__all__ = [
    "MLTable",
    "MiniBatchPiece",
    "list_input_files",
    "load_mltable",
    "load_piece",
    "parse_mini_batch_size",
    "plan_mini_batches",
    "read_mltable",
]
