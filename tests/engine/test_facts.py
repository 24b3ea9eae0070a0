"""Patient facts in the shorthand clinicians type: "61M", "34F" give age and sex; a bare number
next to a lower-case m or f ("5 m walk") gives no age."""

from __future__ import annotations

import pytest

from app.engine.read.facts import extract_facts


@pytest.mark.parametrize("text, age, sex", [
    ("61M s/p MI, LDL 68 after 3 mo atorva 80", 61.0, "male"),
    ("34F chronic migraine, 18 headache days/mo", 34.0, "female"),
    ("65-year-old woman", 65.0, "female"),
    ("5 m walk test normal", None, "male"),  # sex as before; no age from a distance
    ("code G70M", None, None),
    ("a 130M run", None, "male"),  # no one is 130: no age (the sex rule predates this one)
])
def test_age_and_sex_from_shorthand(text, age, sex):
    facts = extract_facts(text)
    assert (facts.age, facts.sex) == (age, sex)
