"""Read: the question and the patient record as a typed frame — kind, named terms, quantities,
regimen, patient facts, language — and the record's negated, family and hypothetical words."""

from __future__ import annotations

import pytest

from app.engine.read import understand
from app.engine.read.facts import extract_facts
from app.engine.read.negation import scopes as read
from app.engine.read.quantities import extract_numbers
from app.engine.read.regimen import extract_regimen
from app.engine.text.tokens import stems
from app.engine.text.vocabulary import canonical


@pytest.mark.parametrize(("question", "kind"), [
    ("Is IVIG medically necessary for myasthenia gravis?", "coverage"),
    ("Will the health plan pay for evolocumab?", "coverage"),
    ("Should a 74-year-old man have PSA screening?", "clinical"),
    ("Is IVIG better than plasma exchange in myasthenic crisis?", "clinical"),
    ("What is the maintenance dose of IVIG?", "informational"),
    ("For which patients is thymectomy recommended?", "informational"),
])
def test_the_kind_of_question(question, kind):
    assert understand(question).kind == kind


def test_the_source_a_kind_of_question_wants_first():
    assert understand("Is CPAP covered?").source_type == "policy"
    assert understand("Should he start CPAP?").source_type == "guideline"


def test_brand_and_generic_names_are_one_term():
    frame = understand("Is Repatha medically necessary for him?")
    assert frame.terms == ["repatha"]
    assert canonical("Repatha") == canonical("evolocumab") == canonical("PCSK9 inhibitor") == "pcsk9"


def test_topic_words_leave_out_how_the_question_is_asked():
    frame = understand("Is IVIG medically necessary for a 54-year-old with myasthenia gravis?")
    assert frame.topic_words == ["ivig", "myasthenia", "gravis"]


@pytest.mark.parametrize(("text", "expected"), [
    ("BMI 42", {"bmi": 42}),
    ("LDL 68 mg/dL on atorvastatin", {"ldl": 68}),
    ("MG-ADL up from 5 to 10 this month", {"mg-adl": 10}),  # the current value, not the earlier one
    ("platelets 1,500 per microliter", {"platelets": 1500}),  # a thousands separator
    ("LDL-C after 12 weeks is 98 mg/dL", {"ldl": 98}),  # not the duration
    ("three exacerbations last year", {"exacerbations": 3}),
])
def test_labelled_quantities(text, expected):
    assert extract_numbers(text) == expected


def test_a_record_with_several_quantities_keeps_each_one_its_own_values():
    facts = extract_facts("Fasting lipids: LDL 68 mg/dL. BMI 42.")
    assert facts.numbers == {"ldl": 68, "bmi": 42}
    assert facts.all_numbers == {"ldl": [68], "bmi": [42]}


def test_values_listed_with_commas_stay_with_their_labels():
    assert extract_facts("BMI 42, AHI 30 events per hour").all_numbers == {"bmi": [42], "ahi": [30]}
    assert extract_facts("LDL 68, A1C 7.1").all_numbers == {"ldl": [68], "a1c": [7.1]}


def test_a_maintenance_regimen_per_kg():
    regimen = extract_regimen("IVIG 1 g/kg every 3 weeks")
    assert (regimen.dose, regimen.unit, regimen.per_kg, regimen.interval_days) == (1, "g", True, 21)
    assert regimen.ongoing and regimen.as_dict()["ongoing"] is True


def test_a_course_over_days():
    regimen = extract_regimen("2 g/kg over 5 days")
    assert (regimen.dose, regimen.per_kg, regimen.duration_days, regimen.interval_days) == (2, True, 5, None)
    assert not regimen.ongoing


def test_a_daily_dose_per_kg():
    regimen = extract_regimen("0.4 g/kg/day for 5 days")
    assert (regimen.dose, regimen.per_kg, regimen.per_day, regimen.duration_days) == (0.4, True, True, 5)


@pytest.mark.parametrize("text", ["IVIG 35 g/day for 2 days", "IVIG 35 g per day for 2 days"])
def test_an_absolute_daily_dose_gives_the_course_total(text):
    regimen = extract_regimen(text)
    assert (regimen.per_kg, regimen.per_day, regimen.total_g) == (False, True, 70)


def test_counted_sessions():
    regimen = extract_regimen("Are 36 sessions of cardiac rehabilitation covered?")
    assert (regimen.count, regimen.count_unit) == (36, "session")
    assert extract_regimen("a fifth injection").count_unit == "session"  # injections count as sessions


def test_the_question_s_regimen_is_completed_from_the_record():
    frame = understand("Can IVIG continue every 4 weeks?", "Receives 1 g/kg per course.")
    assert (frame.regimen.dose, frame.regimen.per_kg, frame.regimen.interval_days) == (1, True, 28)


def test_a_lab_value_is_not_a_dose():
    assert extract_regimen("LDL 68 mg/dL").dose is None
    assert extract_regimen("hemoglobin 9 g/dL").total_g is None


def test_patient_facts():
    facts = extract_facts("62-year-old woman, 70 kg, not pregnant, never smoked.")
    assert (facts.age, facts.sex, facts.weight_kg, facts.pregnant, facts.smoker) == (62, "female", 70, False, False)
    facts = extract_facts("45 yo male, 30 pack-years, currently smokes.")
    assert (facts.age, facts.sex, facts.weight_kg, facts.pregnant, facts.smoker) == (45, "male", None, None, True)
    assert extract_facts("She is pregnant at 28 weeks.").pregnant is True
    assert extract_facts("IVIG 2 g/kg").weight_kg is None  # a per-kg dose is not a body weight


def test_a_question_in_another_language_is_not_english_enough():
    assert understand("Is IVIG medically necessary for myasthenia gravis?").language_ok
    assert not understand("¿Cuál es el tratamiento de la otitis media aguda en los niños?").language_ok
    assert not understand("Quelle est la dose pour le patient avec une myasthénie?").language_ok


def test_negated_words():
    scopes = read("No respiratory compromise.")
    assert stems("respiratory compromise") <= scopes.negated
    assert not scopes.affirmed & stems("respiratory compromise")


def test_a_relative_s_history_is_family_not_the_patient_s():
    scopes = read("Mother had medullary thyroid carcinoma.")
    assert stems("medullary thyroid carcinoma") <= scopes.family
    assert not (scopes.affirmed | scopes.negated) & stems("medullary thyroid carcinoma")


def test_a_condition_is_hypothetical():
    scopes = read("Use IVIG if plasma exchange is unavailable.")
    assert stems("plasma exchange") <= scopes.hypothetical
    assert "ivig" in scopes.affirmed


def test_scope_ends_at_the_clause():
    scopes = read("No anti-MAG antibodies, baseline INCAT 3.")
    assert "antibodi" in scopes.negated and "incat" in scopes.affirmed
