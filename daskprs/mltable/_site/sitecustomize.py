"""daskprs: serve ``import mltable`` with daskprs.mltable when the real package is missing.

This folder is put first on ``PYTHONPATH`` of daskprs command steps and holds nothing but this
file (see daskprs/mltable/_fallback.py). It appends daskprs's fallback finder to
``sys.meta_path`` (a real ``mltable`` still wins) when this Python can import daskprs, then runs
the ``sitecustomize`` module this one hides, if there is one.
"""


def _daskprs_sitecustomize() -> None:
    import importlib.machinery
    import importlib.util
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    try:
        from daskprs.mltable._fallback import install
    except Exception:  # noqa: BLE001 - not daskprs's Python: nothing to serve
        pass
    else:
        install()
    rest = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    spec = importlib.machinery.PathFinder.find_spec("sitecustomize", rest)
    if spec is not None and spec.loader is not None:
        module = importlib.util.module_from_spec(spec)
        sys.modules["sitecustomize"] = module
        spec.loader.exec_module(module)


_daskprs_sitecustomize()
del _daskprs_sitecustomize
