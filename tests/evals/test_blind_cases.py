"""The blind cases are well formed: they load, ids are unique across all of them, every expected
source is a real document of the corpus the set is run on, and every must_mention item is in the
words of an expected source (so a correct answer can quote it). A data check only: nothing here
runs the engine on them."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.cases import load_cases
from test_real_corpus_cases import problems_in

ROOT = Path(__file__).resolve().parents[2]
BLIND = ROOT / "evals" / "blind"


def test_blind_ids_are_unique_and_every_set_is_big_enough():
    cases = load_cases(BLIND)
    assert len({c.id for c in cases}) == len(cases)
    assert len(load_cases(BLIND / "starter")) >= 60 and len(load_cases(BLIND / "long")) >= 30
    assert len(load_cases(BLIND / "real")) >= 60
    assert all("blind" in c.tags for c in cases)


@pytest.mark.parametrize("folder", ["starter", "long"])
def test_starter_blind_cases_name_real_documents_and_quotable_words(folder):
    assert not (found := problems_in(load_cases(BLIND / folder), ROOT / "corpus")), "\n".join(found)


def test_real_blind_cases_name_real_documents_and_quotable_words(real_corpus):
    assert not (found := problems_in(load_cases(BLIND / "real"), real_corpus)), "\n".join(found)
