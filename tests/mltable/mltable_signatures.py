"""Print the public API of the mltable package as JSON: names, parameters, defaults.

Run with the interpreter of the venv that has the real mltable (``.venv-oracle/bin/python``);
the output is ``mltable_signatures.json``, the snapshot ``test_mltable_signatures.py`` holds
daskprs.mltable to (regenerate it when moving to a newer mltable). ``describe`` is also what
the test applies to daskprs.mltable.
"""

from __future__ import annotations

import inspect
import json
import sys
import warnings
from typing import Any


def params(func: Any) -> list[list[Any]]:
    out = []
    for p in inspect.signature(func).parameters.values():
        default = "<required>" if p.default is p.empty else p.default
        out.append([p.name, p.kind.name, default])
    return out


def describe(module: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {"__all__": sorted(module.__all__)}
    for name in sorted(module.__all__):
        obj = getattr(module, name)
        if inspect.isfunction(obj):
            doc[name] = params(obj)
        elif hasattr(obj, "__members__"):  # the enums
            doc[name] = list(obj.__members__)
        else:  # the classes: their public methods and properties
            members: dict[str, Any] = {}
            for attr in sorted(vars(obj)):
                if attr.startswith("_") and attr not in (
                    "__init__",
                    "__eq__",
                    "__repr__",
                    "__str__",
                ):
                    continue
                value = inspect.getattr_static(obj, attr)
                if isinstance(value, property):
                    members[attr] = "property"
                elif isinstance(value, staticmethod):
                    members[attr] = params(value.__func__)
                elif inspect.isfunction(value):
                    members[attr] = params(value)
            doc[name] = members
    return doc


def main() -> None:
    warnings.simplefilter("ignore")
    from importlib.metadata import version

    import mltable

    doc = {"mltable": version("mltable"), **describe(mltable)}
    sys.stdout.write(json.dumps(doc, indent=1, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
