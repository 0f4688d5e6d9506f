"""The claims C1-C12: one home (seqlab.claims), docs/claims.md agreeing with it and the suites."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from seqlab.claims import CLAIM_IDS, CLAIMS, get_claim
from seqlab.sweep.builtin import builtin_suites
from seqlab.sweep.suite import load_suite

ROOT = Path(__file__).parents[1]
CLAIMS_DOC = (ROOT / "docs" / "claims.md").read_text()


def doc_rows() -> dict[str, list[str]]:
    """docs/claims.md's table, by claim id: statement, experiment, figure, suites."""
    rows = {}
    for line in CLAIMS_DOC.splitlines():
        match = re.match(r"^\| (C\d+) \|(.*)\|$", line)
        if match:
            rows[match[1]] = [cell.strip() for cell in match[2].split("|")]
    return rows


def suites_by_claim() -> dict[str, list[str]]:
    answered: dict[str, list[str]] = {}
    for name, path in builtin_suites().items():
        for claim_id in load_suite(path).claims:
            answered.setdefault(claim_id, []).append(name)
    return answered


def test_twelve_claims_in_order() -> None:
    assert CLAIM_IDS == tuple(f"C{n}" for n in range(1, 13))
    assert all(claim.statement and claim.experiment and claim.figure for claim in CLAIMS)


def test_doc_table_is_the_package_table_word_for_word() -> None:
    rows = doc_rows()
    assert list(rows) == list(CLAIM_IDS)
    for claim in CLAIMS:
        assert rows[claim.id][:3] == [claim.statement, claim.experiment, claim.figure], claim.id


def test_doc_suites_column_matches_the_suite_files() -> None:
    answered = suites_by_claim()
    for claim_id, cells in doc_rows().items():
        assert re.findall(r"`([^`]+)`", cells[3]) == sorted(answered.get(claim_id, [])), claim_id


def test_every_claim_has_a_suite_and_every_suite_claim_exists() -> None:
    answered = suites_by_claim()
    assert set(answered) == set(CLAIM_IDS)


def test_the_docs_link_to_the_claims() -> None:
    for page in ("README.md", "docs/sweeps.md", "docs/catalogue.md"):
        assert "claims.md" in (ROOT / page).read_text(), page


def test_unknown_claim_is_a_lookup_error_listing_the_ids() -> None:
    assert get_claim("C5").id == "C5"
    with pytest.raises(LookupError, match=r"unknown claim 'C13' \(known: C1, C2, .*C12\)"):
        get_claim("C13")
