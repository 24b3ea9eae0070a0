"""How follow-ups are read against a conversation, and how long sessions live."""

from __future__ import annotations

import pytest

from app.api.conversation import Conversation, follow, read, replay
from app.api.sessions import SessionNotFound, SessionStore
from app.api.slots import Slots
from service_kit import SEED

# What the service learns from an index of an IVIG and a plasma exchange policy (app/api/slots.py)
SLOTS = Slots.from_corpus({"ivig": {"title": "Immune globulin (IVIG and SCIG)", "doc_type": "policy"},
                           "plex": {"title": "Therapeutic apheresis (plasma exchange)", "doc_type": "policy"}},
                          ["IVIG is considered medically necessary for myasthenia gravis when:",
                           "IVIG is considered medically necessary for CIDP when:"])

READINGS = [  # a new condition takes the old one's modifiers ("refractory") with it (issue #17)
    ("what about for CIDP?", "condition", "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with CIDP?"),
    ("CIDP?", "condition", "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with CIDP?"),
    ("and for multifocal motor neuropathy?", "condition",
     "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with multifocal motor neuropathy?"),
    ("How about in Kawasaki disease", "condition",
     "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with Kawasaki disease?"),
    ("what about plasma exchange?", "intervention",  # the old drug's dose goes with it
     "Is plasma exchange medically necessary for a patient with refractory myasthenia gravis?"),
    ("and at 2 g/kg?", "regimen", "Is IVIG 2 g/kg every 3 weeks medically necessary for a patient with refractory myasthenia gravis?"),
    ("what if it were every 4 weeks?", "regimen",
     "Is IVIG 1 g/kg every 4 weeks medically necessary for a patient with refractory myasthenia gravis?"),
    ("and if she had failed azathioprine too?", "fact", SEED),
    ("She also failed rituximab.", "fact", SEED),
    ("Is CPAP covered for obstructive sleep apnea?", "new", "Is CPAP covered for obstructive sleep apnea?"),
]


@pytest.mark.parametrize("message,kind,question", READINGS)
def test_follow_ups_are_read_against_the_last_question(message, kind, question):
    reading = read(SEED, message, SLOTS)
    assert (reading.kind, reading.question) == (kind, question)


def test_conditions_without_a_known_term_and_populations():
    assert read("Is CPAP covered for snoring?", "what about for obstructive sleep apnea?").question == \
        "Is CPAP covered for obstructive sleep apnea?"
    assert read("Is bariatric surgery covered for adults with BMI 42?", "what about for adolescents?").question == \
        "Is bariatric surgery covered for adolescents with BMI 42?"
    assert read("Is it covered?", "what about for gout?").question == "Is it covered for gout?"


def test_the_first_message_is_the_question_and_facts_accumulate():
    c = follow(Conversation(), SEED, "MG-ADL 9", SLOTS)
    c = follow(c, "what about for CIDP?", "weight 70 kg", SLOTS)
    c = follow(c, "and if she had failed azathioprine too?", None, SLOTS)
    c = follow(c, "and if she had failed azathioprine too?", None, SLOTS)  # a repeated fact is kept once
    assert c.question.endswith("with CIDP?")
    assert c.patient_text == "weight 70 kg; she had failed azathioprine"  # MG-ADL does not carry over to CIDP
    assert c.turns == 4
    assert replay([SEED, "and if she had failed azathioprine too?"], "MG-ADL 9", SLOTS).patient == \
        ("MG-ADL 9", "she had failed azathioprine")


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_sessions_expire_after_their_time_to_live_without_use(tmp_path):
    clock = Clock()
    store = SessionStore(tmp_path / "s.sqlite3", ttl_seconds=600, clock=clock)
    session = store.new("alice")
    session.conversation = follow(session.conversation, SEED, "MG-ADL 9")
    store.save(session)
    clock.now += 599
    assert store.get(session.id, "alice").conversation.question == SEED
    store.save(store.get(session.id, "alice"))  # use renews it
    clock.now += 599
    assert store.get(session.id, "alice").conversation.patient == ("MG-ADL 9",)
    clock.now += 601
    with pytest.raises(SessionNotFound):
        store.get(session.id, "alice")
    reopened = SessionStore(tmp_path / "s.sqlite3", ttl_seconds=600, clock=clock)
    with pytest.raises(SessionNotFound):
        reopened.get(session.id, "alice")
