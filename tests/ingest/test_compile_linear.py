"""The criteria compiler does work linear in the text it reads (tests/app/test_linear_time.py
explains the measure: the same adversarial text at n and 4n characters, best of three runs, under
8x where linear work costs about 4x and a backtracking pattern about 16x)."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.chunks import Chunk
from ingest.compile import compile_document

RATIO = 8.0
SECTIONS = [("Policy > Medical necessity criteria", "policy"), ("Policy > Limitations and exclusions", "policy"),
            ("Guideline > Recommendations", "guideline"), ("Guideline > Women aged 50 to 74 years", "guideline")]

# Runs that make a backtracking pattern retry at every position: list markers, lead phrases,
# numbers with comparators and units, ages, doses, grades, brackets, conjunctions, line breaks.
UNITS = ["1. ", "- ", "  - ", "(a) ", "a) ", "• ", "1.1.1 A ", "i. ", "following:\n", "ALL of the following:\n- x\n",
         "at least 1 ", "at least 2 prior ", "age 1", "aged 1 to ", "≥ 1", "ldl 1", "ldl ≥ 1 mg/dl ", "1 mg every 1 week ",
         "every ", "once ", "for 1 weeks ", "\n", "Grade: B. ", "[grade ", "(((", "[[[", " or", "; and\n", "1 to 1 ",
         "not covered ", "for the following", "The patient has ", "recommends ", "women ", "x. ", ": 1. A", "the ",
         "1 units per ", "only 1 ", "a" * 7, " ", "1,", "1.", "e.g. 1. "]


def chunks_of(text: str) -> list[Chunk]:
    """The text as a document's chunks: every section holds it, 25 lines to a chunk."""
    lines = text.split("\n")
    out: list[Chunk] = []
    for section, doc_type in SECTIONS:
        for start in range(0, len(lines), 25):
            body = "\n".join(lines[start:start + 25])
            out.append(Chunk(chunk_id=f"d#{len(out)}", document_id="d", text=body, title="Policy", section=section,
                             doc_type=doc_type, ordinal=len(out)))
    return out


def cost(text: str) -> float:
    chunks = chunks_of(text)
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        compile_document(chunks)
        best = min(best, time.process_time() - start)
    return best


def growth(unit: str, n: int) -> float:
    small = (unit * (n // len(unit) + 1))[:n]
    large = (unit * (4 * n // len(unit) + 1))[:4 * n]
    return cost(large) / max(cost(small), 1e-4)


@pytest.mark.parametrize("unit", UNITS)
def test_compiling_is_linear_in_the_text(unit):
    assert growth(unit, 3_000) < RATIO


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=st.text(alphabet="0123456789 .,-:;()[]•≥<>%/\namgkorlyABIx", min_size=1, max_size=6))
def test_any_repeated_fragment_is_compiled_in_linear_time(unit):
    assert growth(unit, 3_000) < RATIO
