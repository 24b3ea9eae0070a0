"""The decision's building blocks, fact by fact: numbers, regimens, durations, counts, negation."""

from __future__ import annotations

import pytest

from app.engine.read.negation import scopes as read
from app.engine.decide.rules.criteria import evaluate
from app.engine.decide.rules.criteria_list import parse_criteria
from app.engine.read import understand
from app.engine.read.facts import extract_facts
from app.engine.read.regimen import extract_regimen
from app.engine.records import CriterionLine


def status(criterion: str, patient: str, question: str = "") -> str:
    frame = understand(question or "Is it medically necessary?", patient)
    return evaluate(CriterionLine(criterion), frame.facts, frame.regimen).status


@pytest.mark.parametrize(("criterion", "patient", "expected"), [
    ("The AHI is ≥ 15 events per hour.", "AHI 22 events per hour", "met"),
    ("The AHI is ≥ 15 events per hour.", "AHI of 8 events per hour", "not_met"),
    ("The AHI is ≥ 15 events per hour.", "snoring, daytime sleepiness", "not_documented"),
    ("The LDL-C measured after at least 8 weeks on that regimen is ≥ 70 mg/dL.", "LDL-C after 12 weeks is 98 mg/dL", "met"),
    ("The wound is classified as Wagner grade III or higher.", "Wagner grade II ulcer", "not_met"),
    ("The patient has PaO2 ≤ 55 mmHg or SpO2 ≤ 88% at rest.", "PaO2 54 mmHg on room air", "met"),
    ("The patient has PaO2 ≤ 55 mmHg or SpO2 ≤ 88% at rest.", "SpO2 91% at rest", "not_met"),
    ("Two morning total testosterone levels are < 300 ng/dL.", "total testosterone 270 ng/dL; repeat total testosterone 410 ng/dL", "not_met"),
    ("The patient is age 18 years or older.", "16-year-old girl", "not_met"),
])
def test_numbers(criterion, patient, expected):
    assert status(criterion, patient) == expected


def test_regimen_against_limits():
    line = "The dose is no more than 1 g/kg every 3 weeks or 2 g/kg every 4 weeks."
    assert status(line, "", "Is IVIG 1 g/kg every 3 weeks medically necessary?") == "met"
    assert status(line, "", "Is IVIG 2 g/kg every 2 weeks medically necessary?") == "not_met"
    assert extract_regimen("IVIG 1 g/kg every 3 weeks").ongoing


def test_durations_percentages_and_counts():
    assert status("Symptoms have persisted for at least 6 weeks.", "low back pain symptoms for 3 weeks") == "not_met"
    assert status("The prior course produced a reduction of at least 50% in the score.", "PHQ-9 from 24 to 17 (a 29% reduction)") == "not_met"
    tried = ("The patient had an inadequate response to at least 2 nonsteroidal immunosuppressants "
             "(for example azathioprine, mycophenolate mofetil, tacrolimus).")
    assert status(tried, "prednisone and mycophenolate tried") == "not_met"
    assert status(tried, "failed azathioprine and then mycophenolate") == "met"


def test_negation_family_and_hypothetical_come_from_context():
    scopes = read("No seizures. His mother had medullary thyroid carcinoma. If plasma exchange is unavailable, IVIG.")
    assert "seizur" in scopes.negated and "medullari" in scopes.family and "plasma" in scopes.hypothetical
    absence = "The patient has no personal or family history of medullary thyroid carcinoma."
    assert status(absence, "No personal or family history of thyroid cancer; no medullary thyroid carcinoma.") == "met"
    assert status(absence, "His mother had medullary thyroid carcinoma.") == "not_met"
    assert status("The patient has no history of seizures.", "No seizures, no implanted metal.") == "met"


def test_any_of_lists_keep_their_structure():
    lead, items = parse_criteria(
        "CPAP is medically necessary when ALL of the following are met:\n"
        "- The AHI is ≥ 15 events per hour.\n"
        "- The patient has ANY of the following:\n"
        "  - excessive daytime sleepiness;\n"
        "  - hypertension.")
    assert lead.startswith("CPAP") and len(items) == 2 and len(items[1].children) == 2
    facts = extract_facts("AHI 18, treated hypertension")
    assert evaluate(items[1], facts, extract_regimen("")).status == "met"


def test_population_bands_pick_the_patient_s_age_and_sex():
    from app.engine.decide.rules.population import population_fits

    old = understand("Should an 81-year-old be screened for colorectal cancer?", "81-year-old man")
    assert not population_fits("Adults aged 50 to 75 years", old)
    assert population_fits("Adults aged 76 to 85 years", old)
    woman = understand("Should she be screened?", "70-year-old woman who never smoked")
    assert not population_fits("Men aged 65 to 75 years who have ever smoked", woman)
    assert population_fits("Women aged 65 to 75 years who have never smoked", woman)
    assert not population_fits("Women aged 65 to 75 years who have ever smoked", woman)
    smoker = understand("Should she be screened?", "68-year-old woman, former smoker, 30 pack-years")
    assert not population_fits("Women who have never smoked", smoker)
    assert population_fits("Women aged 65 to 75 years who have ever smoked", smoker)


def test_recommendation_populations_and_stances():
    from app.engine.decide.rules.criteria import population_numbers
    from app.engine.text.statements import stance_of

    text = "Pharmacotherapy is an option for adults with BMI ≥ 30 kg/m², or BMI ≥ 27 kg/m² with at least one comorbidity."
    scope = ("Adults with obesity (BMI ≥ 30 kg/m²) or overweight (BMI ≥ 27 kg/m²) with at least one weight-related "
             "complication, such as type 2 diabetes, hypertension, dyslipidemia or obstructive sleep apnea.")
    assert population_numbers(text, understand("q", "BMI 26 kg/m², no hypertension").facts) == "not_met"
    assert population_numbers(text, understand("q", "BMI 31 kg/m²").facts) == "met"
    assert population_numbers(scope, understand("q", "BMI 28 kg/m², treated hypertension").facts) == "met"
    assert population_numbers(scope, understand("q", "BMI 28 kg/m²").facts) == "not_documented"
    assert population_numbers(text, understand("q", "no numbers here").facts) is None
    assert stance_of("The decision to screen adults aged 76 to 85 years should be an individual one.") == "individual"
    assert stance_of("Adults 50 years and older who do not have a family history of genetic disorders.") == "neutral"
    assert stance_of("Do not use opioids for chronic pain as first-line therapy.") == "against"


def test_numbers_that_belong_to_another_quantity_or_bound_a_range():
    # "< 35 kg/m²" bounds the BMI, it is not an A1C limit; the BMI must sit inside both bounds
    line = "BMI ≥ 30 kg/m² and < 35 kg/m² with type 2 diabetes above the individual A1C goal."
    assert status(line, "BMI 37 kg/m², A1C 5.3%") == "not_met"
    assert status("A probability greater than 5% of carrying a BRCA1/2 variant by a validated risk model.",
                  "Tyrer-Cuzick carrier probability at 2%") == "not_met"
    assert status("Use of PAP for ≥ 4 hours per night on ≥ 70% of nights.", "4 hours or more on 55% of nights") == "not_met"
    assert status("Use of PAP for ≥ 4 hours per night on ≥ 70% of nights.", "4 hours or more on 82% of nights") == "met"


def test_a_number_met_still_needs_what_comes_with_it():
    line = ("BMI ≥ 35 kg/m² with at least one obesity-related comorbidity, such as type 2 diabetes, "
            "hypertension, obstructive sleep apnea or dyslipidemia.")
    assert status(line, "BMI 37 kg/m². No obesity-related comorbidity: normal blood pressure.") == "not_met"
    assert status(line, "BMI 37 kg/m², hypertension on two drugs.") == "met"
    assert status(line, "BMI 37 kg/m².") == "not_documented"


def test_a_duration_met_does_not_hide_a_missing_drug():
    line = "The patient has taken a high-intensity statin plus ezetimibe 10 mg daily for at least 8 weeks."
    assert status(line, "Rosuvastatin 40 mg daily for 6 months. She has never taken ezetimibe.") == "not_met"
    assert status(line, "Rosuvastatin 40 mg and ezetimibe 10 mg daily for 6 months.") == "met"
    # the criterion's own "without" is what it requires, not a contradiction
    care = "The patient completed at least 3 months of nonsurgical care without adequate relief."
    assert status(care, "Physical therapy and NSAIDs for 6 months without relief.") == "met"
    assert status(care, "She started NSAIDs and physical therapy 6 weeks ago.") == "not_met"


def test_words_the_record_negates_are_not_evidence():
    cauda = ("Suspected cauda equina syndrome (new urinary retention, saddle anesthesia, bilateral leg weakness "
             "or numbness, or loss of anal tone).")
    assert status(cauda, "No leg weakness, no numbness, no weight loss.") != "met"
    conjoint = ("The patient has no personal or family history of medullary thyroid carcinoma and does not have "
                "multiple endocrine neoplasia syndrome type 2 (MEN2).")
    assert status(conjoint, "His mother had medullary thyroid carcinoma.") == "not_met"


def test_specialists_counts_in_words_and_ordinal_requests():
    line = "The drug is prescribed by, or in consultation with, a pulmonologist or an allergist-immunologist."
    assert status(line, "Managed by a pulmonologist.") == "met"
    assert status(line, "Managed by her family physician.") == "not_documented"
    assert status("At least 2 exacerbations needing systemic corticosteroids in the past 12 months.",
                  "Three exacerbations needing oral prednisone in the past year.") == "met"
    limit = "The total number of ESI sessions in that region, including the requested session, does not exceed 4 in a rolling 12 months."
    assert status(limit, "", "Is a fifth lumbar epidural steroid injection session medically necessary?") == "not_met"
    assert status(limit, "", "Is a third lumbar epidural steroid injection session medically necessary?") == "met"
