"""The errors of ``daskprs.mltable``, on top of :class:`daskprs.errors.MLTableError`.

::

    MLTableError (daskprs.errors; a SpecError, a ValueError)
    ├── MLTableArgumentError          an argument of an mltable call is invalid; key: "take(count)"
    ├── MLTableSaveError              save() cannot write where it was asked to
    └── MLTableValidationError        validate() found no readable row (also a RuntimeError,
                                      which is what mltable's validate() raises)
    MLTableNotImplementedError (NotImplementedError)   an mltable API daskprs does not serve

Every message names the MLTable file (or the call that built the table), the key or argument,
and what would be valid. Like every daskprs error they survive pickling.
"""

from __future__ import annotations

from daskprs.errors import DaskPrsError, MLTableError

DOCS = "docs/mltable.md"


class MLTableArgumentError(MLTableError):
    """An argument of an ``mltable`` call is invalid (``key`` names the call and argument)."""


class MLTableSaveError(MLTableError):
    """``MLTable.save()`` cannot write its files (destination taken, not a folder, ...)."""


class MLTableValidationError(MLTableError, RuntimeError):
    """``MLTable.validate()``: the table's data cannot be loaded."""


class MLTableNotImplementedError(DaskPrsError, NotImplementedError):
    """An ``mltable`` API, option or transformation that daskprs does not implement."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(
            f"{what} is not implemented by daskprs.mltable (the fallback that serves "
            f"`import mltable` when the real package is not installed); see {DOCS} for what "
            "is implemented, or install the real mltable package in this environment"
        )

    def __reduce__(self):  # type: ignore[override,unused-ignore]
        return (type(self), (self.what,))


def argument_error(call: str, argument: str, message: str, file: str | None = None) -> MLTableError:
    """``MLTableArgumentError`` for ``call(argument)``, e.g. ``take(count)``."""
    return MLTableArgumentError(message, file=file, key=f"{call}({argument})")
