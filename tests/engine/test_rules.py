"""The rules decider on hand-built evidence: a policy's exclusion, an indication's criteria checked
fact by fact, a guideline's grade and age bands; and criteria lists as the policy nests them."""

from __future__ import annotations

from app.engine.decide.rules import RulesDecider
from app.engine.decide.rules.criteria import evaluate
from app.engine.decide.rules.criteria_list import parse_criteria
from app.engine.read import understand
from app.engine.records import CriterionLine
from fakes import chunk, evidence

PCSK9 = "PCSK9 inhibitors"
ASCVD = chunk("pcsk9", "Evolocumab is considered medically necessary for clinical ASCVD when ALL of the following are met:\n"
              "- The patient has clinical atherosclerotic cardiovascular disease.\n"
              "- The LDL-C is ≥ 70 mg/dL despite maximally tolerated statin therapy.",
              section="Medical necessity criteria > Clinical ASCVD", title=PCSK9)
UNPROVEN = chunk("pcsk9", "Evolocumab for familial chylomicronemia syndrome is considered experimental, investigational "
                 "or unproven.", section="Experimental, investigational or unproven", title=PCSK9, n=1)
ASKED = "Is Repatha medically necessary for clinical ASCVD?"
RECORD = "Clinical atherosclerotic cardiovascular disease (prior MI). LDL-C {ldl} mg/dL on maximally tolerated statin therapy."


def decide(question: str, patient: str | None, *chunks):
    return RulesDecider().decide(understand(question, patient), evidence(*chunks, has_patient=bool(patient)))


def checked(decision) -> list[tuple[str, str]]:
    return [(ev.status, ev.detail) for _, ev, _ in decision.criteria]


def test_an_exclusion_the_request_hits_says_no_and_is_quoted_first():
    decision = decide("Is Repatha medically necessary for familial chylomicronemia syndrome?", None, ASCVD, UNPROVEN)
    assert decision.verdict == "no" and decision.primary_document == "pcsk9"
    assert decision.deciding[0].text == UNPROVEN.text and decision.deciding[0].stance == "experimental"


def test_every_criterion_met_says_yes():
    decision = decide(ASKED, RECORD.format(ldl=98), ASCVD, UNPROVEN)
    assert decision.verdict == "yes"
    assert decision.indication == "PCSK9 inhibitors > Medical necessity criteria > Clinical ASCVD"
    assert checked(decision)[1] == ("met", "ldl 98 meets >= 70")
    assert decision.deciding[0].text.startswith("Evolocumab is considered medically necessary")  # the lead, quoted
    assert [s.text for _, _, s in decision.criteria] == [line.text for line, _, _ in decision.criteria]


def test_a_number_below_its_threshold_says_no():
    decision = decide(ASKED, RECORD.format(ldl=68), ASCVD, UNPROVEN)
    assert decision.verdict == "no"
    assert checked(decision) == [("met", "documented: atherosclerot, cardiovascular, clinic, diseas"),
                                 ("not_met", "ldl 68 fails >= 70")]


def test_no_patient_facts_is_conditional():
    decision = decide(ASKED, None, ASCVD, UNPROVEN)
    assert decision.verdict == "conditional"
    assert checked(decision) == [("not_documented", "not found in the question or patient record"),
                                 ("not_documented", "ldl not documented (criterion: >= 70)")]


def test_an_informational_question_quotes_the_closest_statements():
    decision = decide("What LDL-C level is named for evolocumab in clinical ASCVD?", None, ASCVD, UNPROVEN)
    assert decision.verdict == "informational" and not decision.criteria
    assert any("LDL-C is ≥ 70 mg/dL" in s.text for s in decision.deciding)


def test_a_record_listing_values_with_commas_meets_its_threshold():
    surgery = chunk("bariatric", "Bariatric surgery is considered medically necessary when ALL of the following are met:\n"
                    "- BMI ≥ 40 kg/m².", section="Medical necessity criteria > Severe obesity", title="Bariatric surgery")
    decision = decide("Is bariatric surgery medically necessary for him?", "BMI 42, AHI 30 events per hour", surgery)
    assert checked(decision) == [("met", "bmi 42 meets >= 40")] and decision.verdict == "yes"


IVIG = "Immune globulin"
MG = chunk("ivig", "IVIG is considered medically necessary for myasthenia gravis exacerbation when ALL of the following "
           "are met:\n- The MG-ADL score is 6 or more.", section="Medical necessity criteria > Myasthenia gravis", title=IVIG)
SMALL_COURSE = chunk("ivig", "A course totalling less than 1 g/kg is not medically necessary.", section="Limitations",
                     title=IVIG, n=1)
MG_QUESTION = "Is a course of IVIG medically necessary for his myasthenia gravis exacerbation?"


def test_a_per_kg_limitation_needs_the_course_and_the_weight():
    assert decide(MG_QUESTION, "MG-ADL 9, weight 70 kg.", MG, SMALL_COURSE).verdict == "yes"
    small = decide("Is a course of IVIG 0.5 g/kg medically necessary for his myasthenia gravis exacerbation?",
                   "MG-ADL 9, weight 70 kg.", MG, SMALL_COURSE)
    assert small.verdict == "no" and small.deciding[0].text == SMALL_COURSE.text


def test_a_lab_value_in_the_record_is_not_a_requested_course():
    assert decide(MG_QUESTION, "MG-ADL 9, hemoglobin 9 g/dL, weight 70 kg.", MG, SMALL_COURSE).verdict == "yes"


def test_a_dose_in_mg_per_kg_is_compared_in_grams():
    frame = understand("Is IVIG 400 mg/kg/day for 5 days medically necessary?")
    found = evaluate(CriterionLine("The dose is no more than 2 g/kg every 4 weeks."), frame.facts, frame.regimen)
    assert found.status == "met"


PSA = "Prostate cancer screening"


def psa(text: str, section: str, n: int = 0):
    return chunk("psa", text, section=section, title=PSA, n=n, doc_type="guideline")


SCREEN = "Should he have PSA-based screening for prostate cancer?"
GRADE_C = psa("PSA-based screening for prostate cancer in men aged 55 to 69 years.\nGrade: C, offered to selected men.",
              "Men aged 55 to 69 years")
GRADE_D = psa("PSA-based screening for prostate cancer in men 70 years and older.\nGrade: D, not offered routinely.",
              "Men 70 years and older", n=1)


def test_a_grade_d_recommendation_says_no_and_a_grade_c_conditional():
    older = decide(SCREEN, "74-year-old man", GRADE_D)
    assert older.verdict == "no" and older.deciding[0].text == "Grade: D, not offered routinely."
    younger = decide(SCREEN, "62-year-old man", GRADE_C)
    assert younger.verdict == "conditional" and younger.deciding[0].text == "Grade: C, offered to selected men."


def test_the_grade_is_quoted_once():
    texts = [s.text for s in decide(SCREEN, "74-year-old man", GRADE_D).deciding]
    assert len(texts) == len(set(texts))


def test_a_grade_written_as_the_uspstf_records_write_it_decides():
    record = psa("Grade: D. Sex: male. Ages: 70 to 100.\nPSA-based screening for prostate cancer in men 70 years "
                 "and older.", "Men 70 years and older")
    assert decide(SCREEN, "74-year-old man", record).verdict == "no"


AGE_BANDS = (
    psa("For men aged 55 to 69 years, the decision to undergo periodic PSA-based screening for prostate cancer "
        "should be an individual one.", "Men aged 55 to 69 years"),
    psa("The USPSTF recommends against PSA-based screening for prostate cancer in men 70 years and older.",
        "Men 70 years and older", n=1),
)


def test_an_age_band_that_excludes_the_patient_is_not_his():
    older = decide(SCREEN, "74-year-old man", *AGE_BANDS)
    assert older.verdict == "no"
    assert older.deciding[0].text == AGE_BANDS[1].text
    assert not any("55 to 69" in s.text for s in older.deciding)
    younger = decide(SCREEN, "62-year-old man", *reversed(AGE_BANDS))  # whichever passage ranks first
    assert younger.verdict == "conditional"
    assert younger.deciding[0].text == AGE_BANDS[0].text
    assert not any("70 years and older" in s.text for s in younger.deciding)


def test_criteria_lists_nest_any_of_inside_all_of():
    lead, items = parse_criteria(
        "CPAP is medically necessary when ALL of the following are met:\n"
        "- The patient is 18 years or older.\n"
        "- The patient has ANY of the following:\n"
        "  - excessive daytime sleepiness;\n"
        "  - ANY of these cardiovascular conditions:\n"
        "    - hypertension;\n"
        "    - history of stroke.\n"
        "- A sleep study documents the AHI.\n")
    assert lead == "CPAP is medically necessary when ALL of the following are met:"
    assert [i.text for i in items] == ["The patient is 18 years or older.", "The patient has ANY of the following:",
                                       "A sleep study documents the AHI."]
    assert [i.any_of for i in items] == [False, True, False]
    sleepiness, cardiovascular = items[1].children
    assert sleepiness.text == "excessive daytime sleepiness;" and not sleepiness.any_of
    assert [c.text for c in cardiovascular.children] == ["hypertension;", "history of stroke."]


def test_a_list_without_a_lead():
    assert parse_criteria("- one criterion\n- another") == (None, [CriterionLine("one criterion"),
                                                                    CriterionLine("another")])
