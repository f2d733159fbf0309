"""``daskprs.mltable``: the public API of Azure's ``mltable`` package (1.7), served by daskprs.

Entry scripts and command steps written for Azure ML read their inputs with
``mltable.load(path).to_pandas_dataframe()``. The real ``mltable`` cannot be installed next to
Dask (it pins ``cloudpickle<3``), so daskprs serves ``import mltable`` with this module in its
entry-script processes and command steps when the real package is not installed there
(:mod:`daskprs.mltable._fallback`; where it is installed, it wins).

Same names, arguments and defaults as mltable 1.7; every method builds the MLTable document the
real library builds (``save()`` writes a file the real library loads); every read goes through
the data layer that jobs use (``daskprs.data``). What differs and what is not implemented:
docs/mltable.md.

>>> import daskprs.mltable as mltable
>>> tbl = mltable.from_delimited_files([{"file": "data.csv"}])   # doctest: +SKIP
>>> tbl.filter('col("a") > 1').take(5).to_pandas_dataframe()      # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from daskprs.mltable._datatype import DataType
    from daskprs.mltable._enums import (
        MLTableFileEncoding,
        MLTableHeaders,
    )
    from daskprs.mltable._enums import (
        MLTableSaveOverwriteOption as MLTableSaveOverwriteOption,
    )
    from daskprs.mltable._from import (
        from_delimited_files,
        from_delta_lake,
        from_json_lines_files,
        from_parquet_files,
        from_paths,
        load,
    )
    from daskprs.mltable._table import MLTable

# imported on first use: daskprs.mltable._fallback (imported by sitecustomize at every start of
# a command step's Python) must not pay for pandas
_LAZY = {
    "DataType": "daskprs.mltable._datatype",
    "MLTable": "daskprs.mltable._table",
    "MLTableFileEncoding": "daskprs.mltable._enums",
    "MLTableHeaders": "daskprs.mltable._enums",
    "MLTableSaveOverwriteOption": "daskprs.mltable._enums",
    "from_delimited_files": "daskprs.mltable._from",
    "from_delta_lake": "daskprs.mltable._from",
    "from_json_lines_files": "daskprs.mltable._from",
    "from_parquet_files": "daskprs.mltable._from",
    "from_paths": "daskprs.mltable._from",
    "load": "daskprs.mltable._from",
}

__all__ = [
    "DataType",
    "MLTable",
    "MLTableFileEncoding",
    "MLTableHeaders",
    "from_delimited_files",
    "from_delta_lake",
    "from_json_lines_files",
    "from_parquet_files",
    "from_paths",
    "load",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'daskprs.mltable' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])
