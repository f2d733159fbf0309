"""The notebooks run top to bottom (nbclient, a real kernel) and show what they promise: the
progress widget finishing, a Completed job, the output read back with pandas."""

from __future__ import annotations

import asyncio
import concurrent.futures
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (runs the notebooks)")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
NAMES = ("quickstart.ipynb", "many_models.ipynb")
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def _execute(name: str):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOKS)}},
    )
    # our own event loop, closed at the end (client.execute() leaves one per thread behind,
    # unclosed: a ResourceWarning, an error under filterwarnings = error)
    asyncio.run(client.async_execute())
    return nb


@pytest.fixture(scope="module")
def executed():
    """Both notebooks, executed at the same time (each in its own kernel)."""
    with concurrent.futures.ThreadPoolExecutor(len(NAMES)) as pool:
        futures = {name: pool.submit(_execute, name) for name in NAMES}
        return {name: fut.result() for name, fut in futures.items()}


def tagged(nb, tag: str):
    (cell,) = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    return cell


def text_of(cell) -> str:
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream":
            parts.append(out["text"])
        elif "data" in out:
            parts.append(out["data"].get("text/plain", ""))
    return "\n".join(parts)


def progress_bars(nb) -> list[dict]:
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return [m["state"] for m in state.values() if m.get("model_name") == "FloatProgressModel"]


def widget_html(nb) -> str:
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    return " ".join(
        str(m["state"].get("value", ""))
        for m in state.values()
        if m.get("model_name") == "HTMLModel"
    )


@pytest.mark.parametrize("name", NAMES)
def test_notebook_runs_without_errors(executed, name):
    nb = executed[name]
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")


@pytest.mark.parametrize("name,batches", [("quickstart.ipynb", 10), ("many_models.ipynb", 6)])
def test_progress_widget_shows_and_finishes(executed, name, batches):
    pytest.importorskip("ipywidgets", reason="no ipywidgets: tqdm.auto shows text, not a widget")
    nb = executed[name]
    run = tagged(nb, "run")
    assert any(WIDGET_VIEW in o.get("data", {}) for o in run.outputs), run.outputs
    bars = progress_bars(nb)
    assert bars and bars[-1]["value"] == bars[-1]["max"] == batches
    assert "failed=0" in widget_html(nb)


@pytest.mark.parametrize("name", NAMES)
def test_job_completed(executed, name):
    status = text_of(tagged(executed[name], "status"))
    assert status.splitlines()[0] == "Completed"
    assert "'failed_mini_batches': 0" in status


def test_quickstart_reads_the_output_and_plots(executed):
    nb = executed["quickstart.ipynb"]
    accuracy = text_of(tagged(nb, "accuracy"))
    assert "accuracy: " in accuracy
    value = float(accuracy.split("accuracy: ")[1].split("%")[0])
    assert value > 95.0
    plot = tagged(nb, "plot")
    assert any("image/png" in o.get("data", {}) for o in plot.outputs) or "count" in text_of(plot)


def test_many_models_fits_one_model_per_store(executed):
    models = text_of(tagged(executed["many_models.ipynb"], "models"))
    assert models.count("store_") == 6 and "slope_fitted" in models
