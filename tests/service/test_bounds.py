"""Every input is bounded before any work, the same way on every endpoint: question, patient,
conversation size (per request and per chat session) and message count; follow-up resolution
can never build a question longer than its inputs; the follow-up patterns run in linear time."""

from __future__ import annotations

import time
import tracemalloc

import pytest
from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st

from app.api.conversation import SYNONYM_GROUPS, read, replay
from app.api.slots import Slots
from service_kit import CPAP, SEED, bearer

H = bearer("clinician")
MB = 1_000_000


def assert_limit(r, code: str, setting: str) -> None:
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == code and setting in error["message"], error


def completion(*messages: tuple[str, str]) -> dict:
    return {"model": "criterion", "messages": [{"role": role, "content": text} for role, text in messages]}


# ------------------------------------------------------------------ the same limits on every endpoint


def test_a_question_or_message_over_the_limit_is_refused_on_every_endpoint(client):
    long = "Is CPAP covered " + "really " * 600 + "?"  # 4,217 characters
    assert_limit(client.post("/v1/ask", json={"question": long}, headers=H), "question_too_long", "api.max_question_chars")
    for path in ("/v1/chat", "/v1/chat/stream"):
        assert_limit(client.post(path, json={"message": long}, headers=H), "question_too_long", "api.max_question_chars")
    r = client.post("/v1/chat/completions", json=completion(("user", CPAP), ("user", long)), headers=H)
    assert_limit(r, "question_too_long", "api.max_question_chars")


def test_patient_text_over_the_limit_is_refused_however_it_arrives(client):
    patient = "x" * 20_001
    r = client.post("/v1/ask", json={"question": CPAP, "patient": patient}, headers=H)
    assert_limit(r, "patient_too_long", "api.max_patient_chars")
    r = client.post("/v1/chat/stream", json={"message": CPAP, "patient": patient}, headers=H)
    assert_limit(r, "patient_too_long", "api.max_patient_chars")
    for role in ("system", "user"):  # it used to accept any length after "Patient:"
        r = client.post("/v1/chat/completions", json=completion((role, "Patient: " + patient), ("user", CPAP)), headers=H)
        assert_limit(r, "patient_too_long", "api.max_patient_chars")
    pieces = completion(("system", "Patient: " + "a" * 12_000), ("user", "Patient: " + "b" * 12_000), ("user", CPAP))
    assert_limit(client.post("/v1/chat/completions", json=pieces, headers=H), "patient_too_long", "api.max_patient_chars")


def test_a_chat_session_cannot_pile_up_patient_text_across_turns(client):
    first = client.post("/v1/chat", json={"message": CPAP, "patient": "a" * 9_000}, headers=H)
    assert first.status_code == 200
    session = first.json()["session_id"]
    second = client.post("/v1/chat", json={"session_id": session, "message": CPAP, "patient": "b" * 9_000}, headers=H)
    assert second.status_code == 200 and len(second.json()["patient"]) == 18_002
    third = client.post("/v1/chat", json={"session_id": session, "message": CPAP, "patient": "c" * 9_000}, headers=H)
    assert_limit(third, "patient_too_long", "api.max_patient_chars")  # it used to reach 54,601 after three turns
    view = client.get(f"/v1/chat/{session}", headers=H).json()
    assert len(view["turns"]) == 2 and sum(map(len, view["patient"])) == 18_000  # the refused turn left no trace


def test_a_chat_session_and_a_completions_request_hold_the_same_conversation_limit(client):
    facts = "y" * 15_000  # repeated facts are kept once, but every character sent counts
    session = None
    for turn in range(3):
        r = client.post("/v1/chat", json={"message": CPAP, "patient": facts, **({"session_id": session} if session else {})},
                        headers=H)
        if turn < 2:
            assert r.status_code == 200, r.text
            session = r.json()["session_id"]
    assert_limit(r, "conversation_too_long", "api.max_conversation_chars")
    replayed = completion(*[("user", "Patient: " + facts), ("user", CPAP)] * 3)
    assert_limit(client.post("/v1/chat/completions", json=replayed, headers=H), "conversation_too_long",
                 "api.max_conversation_chars")


def test_completions_count_messages_before_reading_them(client):
    many = completion(*[("user", CPAP), ("assistant", "**Verdict: yes**")] * 50, ("user", CPAP))
    assert_limit(client.post("/v1/chat/completions", json=many, headers=H), "too_many_messages", "api.max_messages")
    assert client.post("/v1/chat/completions", json=completion(*[("user", CPAP)] * 100), headers=H).status_code == 200


# ------------------------------------------------------------------ follow-ups cannot grow a question


REPEATED_MG = "and " + "MG " * 100  # "MG" repeated a hundred times, as a follow-up


def peak_growth(call) -> tuple[object, float]:
    """What ``call()`` returns and the most memory it held above where it started, in MB."""
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        result = call()
        return result, (tracemalloc.get_traced_memory()[1] - before) / MB
    finally:
        tracemalloc.stop()


def test_two_hundred_messages_of_repeated_condition_words_get_a_4xx_in_bounded_memory(client):
    body = completion(("user", "Is IVIG covered for MG?"), *[("user", REPEATED_MG)] * 199)
    r, growth = peak_growth(lambda: client.post("/v1/chat/completions", json=body, headers=H))
    assert_limit(r, "too_many_messages", "api.max_messages")  # it used to end in a MemoryError (500)
    assert growth < 50, f"{growth:.1f} MB"


def test_repeated_condition_words_within_the_limits_are_answered_in_bounded_memory(client):
    body = completion(("user", "Is IVIG covered for MG?"), *[("user", REPEATED_MG)] * 99)  # 30,000 characters
    r, growth = peak_growth(lambda: client.post("/v1/chat/completions", json=body, headers=H))
    assert r.status_code == 200, r.text  # four such messages used to build 300 million characters
    assert growth < 50, f"{growth:.1f} MB"
    assert len(replay([m["content"] for m in body["messages"]]).question) <= len("Is IVIG covered for MG?" + REPEATED_MG)


CONDITION_WORDS = sorted({term for group in SYNONYM_GROUPS for term in group if len(term) < 12})[:40]
WORDS = st.sampled_from(CONDITION_WORDS + ["what about", "and", "for", "in", "with", "(MG)", "at 2 g/kg", "every",
                                           "4 weeks", "if she had", "?", ",", "adults", "IVIG", "plasma exchange"])
TEXT = st.lists(WORDS, min_size=1, max_size=12).map(" ".join)
JOINER = len(" for ?")  # what a bare condition adds when the question names none ("Is it covered for gout?")


@given(previous=TEXT, message=TEXT)
@hypothesis_settings(max_examples=400, deadline=None, database=None, derandomize=True,
                     suppress_health_check=list(HealthCheck))
def test_a_resolved_question_is_never_longer_than_its_inputs(previous, message):
    assert len(read(previous, message).question) <= len(previous) + len(message) + JOINER


def test_a_replaced_condition_keeps_its_mentions_but_not_its_alias():
    slots = Slots(kinds={"mg": "condition", "cidp": "condition", "ivig": "intervention"})
    assert read("Is IVIG covered for myasthenia gravis (MG) when MG is refractory?", "what about for CIDP?",
                slots).question == "Is IVIG covered for CIDP when CIDP is refractory?"
    assert read(SEED, "what about for CIDP?", slots).question == SEED.replace("refractory myasthenia gravis", "CIDP")


# ------------------------------------------------------------------ linear-time follow-up reading


def seconds_per_call(call) -> float:
    best = float("inf")
    for _ in range(5):
        calls, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < 0.02:
            call()
            calls += 1
        best = min(best, elapsed / calls)
    return best


ADVERSARIAL = {  # (previous question, follow-up) of size n, each aimed at one pattern's worst case
    "a long digit run (dose)": lambda n: (SEED, "and at " + "1" * n),
    "a digit run in the question (dose)": lambda n: ("Is IVIG " + "2" * n + " covered?", "and at 2 g/kg?"),
    "repeated separators (too)": lambda n: (SEED, "and if she had failed azathioprine" + " ," * (n // 2) + " x"),
    "many prepositions before a comma (condition)": lambda n: ("Is it covered " + "for x " * (n // 6) + ", y?",
                                                               "what about for gout?"),
    "repeated leads (and, so, then)": lambda n: (SEED, "and, " * (n // 5) + "x"),
    "repeated intervals": lambda n: (SEED, "and " + "every " * (n // 6) + "4 weeks"),
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
def test_follow_up_reading_grows_linearly_on_adversarial_input(name):
    small, large = (ADVERSARIAL[name](n) for n in (1_000, 4_000))
    ratio = seconds_per_call(lambda: read(*large)) / seconds_per_call(lambda: read(*small))
    assert ratio < 8, f"4x the input took {ratio:.1f}x the time (linear: about 4, quadratic: about 16)"
