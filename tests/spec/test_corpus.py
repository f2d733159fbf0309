"""Our verdict on every case of the parity corpus (fast; the Azure side is test_azure_parity)."""

from __future__ import annotations

import pytest
from corpus import CORPUS, cases, ours

CASES = cases()


def test_corpus_is_big_enough_and_complete():
    assert len(CASES) >= 25
    kinds = {c["expect"] for c in CASES.values()}
    assert kinds == {"accept", "reject"}
    for name in CASES:
        assert (CORPUS / name).is_file(), name
    listed = {p.name for p in CORPUS.glob("*.yml") if p.name != "cases.yml"}
    assert listed == set(CASES), "every corpus YAML needs a verdict in cases.yml"
    documented = (CORPUS / "EXPECTED_DIFFERENCES.md").read_text()
    for name, case in CASES.items():
        if "azure" in case:
            assert f"`{case['why']}`" in documented, (
                f"{name}: difference {case['why']!r} undocumented"
            )


@pytest.mark.filterwarnings("ignore::daskprs.spec.components.SpecWarning")
@pytest.mark.parametrize("name", sorted(CASES))
def test_our_verdict(name):
    case = CASES[name]
    job, error = ours(name, case)
    verdict = "accept" if job is not None else "reject"
    assert verdict == case["expect"], f"{name}: {error}"
    if error is not None:
        # one line naming the file and, for a key problem, the dotted key
        assert error.file and str(error).startswith(error.file)
