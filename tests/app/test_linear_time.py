"""Every parser that reads a question or a patient record does work linear in its length.

The measure is a ratio, never seconds: the same adversarial text at n and at 4n characters. Linear
work costs about 4x, a pattern that backtracks over a run of digits about 16x; the bar is 8x, on
the best of three runs of each size, so a busy machine does not fail it."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.engine import Engine
from app.engine.read import understand
from ingest.sync import sync

from test_engine import POLICY

RATIO = 8.0

# Runs that make a backtracking pattern retry at every position: digits, digits with separators,
# repeated labels and units, brackets, dashes, whitespace.
UNITS = ["0", "1,", "1.", "1 ", "12 mg ", "mg", "bmi ", "every ", "- ", "(", "[1", "1%", ";", " ", "a", "x-",
         "no ", "1/", "kg/m2 ", "1-year-old ", "ldl 1", "grade ", "at least 1 "]


def cost(work, text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.process_time()
        work(text)
        best = min(best, time.process_time() - start)
    return best


def growth(work, unit: str, n: int) -> float:
    small = (unit * (n // len(unit) + 1))[:n]
    large = (unit * (4 * n // len(unit) + 1))[:4 * n]
    return cost(work, large) / max(cost(work, small), 1e-4)


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    from app.settings import Settings

    root = tmp_path_factory.mktemp("linear")
    settings = Settings(data_dir=root / "data", embedding={"backend": "fake"})
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "pap.md").write_text(POLICY)
    sync([corpus], settings)
    return Engine.from_settings(settings)


@pytest.mark.parametrize("unit", UNITS)
def test_understanding_a_record_is_linear(unit):
    assert growth(lambda text: understand("Is CPAP medically necessary?", text), unit, 5_000) < RATIO


@pytest.mark.slow
@pytest.mark.parametrize("unit", UNITS)
def test_answering_is_linear_in_the_patient_record(engine, unit):
    question = "Is CPAP 1 g/kg every 3 weeks medically necessary for obstructive sleep apnea with AHI 20?"
    assert growth(lambda text: engine.ask(question, text), unit, 4_000) < RATIO


@pytest.mark.slow
@pytest.mark.parametrize("unit", UNITS)
def test_answering_is_linear_in_the_question(engine, unit):
    assert growth(lambda text: engine.ask("CPAP? " + text), unit, 900) < RATIO


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(unit=st.text(alphabet="0123456789 .,-/%()[]mgkbiaxyz;:\n", min_size=1, max_size=5))
def test_any_repeated_fragment_is_read_in_linear_time(unit):
    assert growth(lambda text: understand("Is it medically necessary?", text), unit, 4_000) < RATIO
