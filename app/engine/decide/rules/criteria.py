"""Each criterion of an indication checked against the patient, fact by fact — numbers compared,
regimens checked against limits, the rest matched on words with negation — giving met, not met,
not documented or not applicable."""

from __future__ import annotations

import re

from app.engine.read.facts import Facts
from app.engine.read.negation import scopes as context_scopes
from app.engine.read.quantities import roman_to_digits
from app.engine.read.regimen import Regimen
from app.engine.records import CriterionLine, Evaluation
from app.engine.decide.rules.cues import (ABSENCE, CUE, affirmed_in, content_words, contradicted, negated_in,
                                          record_scopes)
from app.engine.decide.rules.numbers import check_count, check_regimen, compare_numbers
from app.engine.decide.rules.record_checks import (duration_check, one_listed, percent_change_check, share_check,
                                                   specialist_check, tried_count_check)
from app.engine.text.tokens import stems
from app.engine.text.vocabulary import GENERIC_STEMS

_REFERS_ELSEWHERE = re.compile(r"\b(?:criteria|requirements) (?:below|above)\b|\bspecific criteria\b", re.I)


def _with_what_comes_with_it(text: str, number: Evaluation, facts: Facts, regimen: Regimen,
                             idf: dict[str, float] | None) -> Evaluation:
    """A met number still needs what the text asks for with it: 'BMI ≥ 35 kg/m² with at least one
    obesity-related comorbidity' → the comorbidity, one listed item or the words, checked too."""
    rest = re.search(r"\bwith (?:at least one |an? |any )?(.{8,})$", text)
    if number.status != "met" or not rest or compare_numbers(roman_to_digits(rest.group(1)), facts):
        return number
    also = one_listed(rest.group(1), facts) or evaluate(CriterionLine(rest.group(1)), facts, regimen, idf)
    if also.status in ("not_met", "not_documented"):
        return Evaluation(also.status, f"{number.detail}; {also.detail}")
    return number


def population_numbers(text: str, facts: Facts) -> str | None:
    """A recommendation's numeric population against the patient: 'adults with BMI ≥ 30 kg/m², or
    BMI ≥ 27 kg/m² with at least one comorbidity' → met / not_met / not_documented, or None when
    it names no number the patient has."""
    results = []
    for alternative in re.split(r",?\s+\bor\b\s+(?=[^.;]{0,30}?(?:≥|>=|≤|<=|>|<)\s*\d)", roman_to_digits(text)):
        number = compare_numbers(alternative, facts)
        if number is None or "not documented" in number.detail or number.detail.startswith("age"):
            continue  # age bands are the population check's business
        results.append(_with_what_comes_with_it(alternative, number, facts, Regimen(), None).status)
    if not results:
        return None
    if "met" in results:
        return "met"
    return "not_documented" if "not_documented" in results else "not_met"


def evaluate(line: CriterionLine, facts: Facts, regimen: Regimen, idf: dict[str, float] | None = None) -> Evaluation:
    """A criterion's status for this patient. ``idf`` weighs words by rarity in the corpus, so
    'rheumatologist' counts for more than 'prescribed' when matching words."""
    if line.any_of:
        own = compare_numbers(roman_to_digits(line.text), facts)  # "AHI 5 to 14 events per hour with ANY of:"
        if own is not None and own.status == "not_met":
            return own
        results = [evaluate(child, facts, regimen, idf) for child in line.children]
        if any(r.status == "met" for r in results):
            return Evaluation("met", next(r.detail for r in results if r.status == "met"))
        failed = sum(r.status == "not_met" for r in results)
        if results and failed == len(results):
            return Evaluation("not_met", "none of the alternatives is met")
        if results and failed * 2 >= len(results):
            # the record rules out most alternatives and documents none of the others
            return Evaluation("not_met", f"{failed} of {len(results)} alternatives ruled out, none documented")
        parent = content_words(line.text)
        if parent and negated_in(facts.text, parent, idf, line.text):
            return Evaluation("not_met", "the record states the opposite")
        return Evaluation("not_documented", "none of the alternatives is documented")
    if _REFERS_ELSEWHERE.search(line.text):
        return Evaluation("not_applicable", "checked under the section it refers to")
    numeric = compare_numbers(roman_to_digits(line.text), facts)
    if numeric is not None:
        return _with_what_comes_with_it(line.text, numeric, facts, regimen, idf)
    reg = check_regimen(line.text, regimen) or check_count(line.text, regimen)
    if reg is not None:
        return reg
    specialist = specialist_check(line.text, facts.text)
    if specialist is not None:
        return specialist
    for check in (percent_change_check, share_check, duration_check, tried_count_check):
        found = check(line.text, facts.text)
        if found is None:
            continue
        required = content_words(re.sub(r"\bwithout\b[^,;.]*", " ", line.text))  # not "without adequate relief"
        if found.status == "met" and contradicted(facts.text, required, idf):
            # "statin plus ezetimibe for at least 8 weeks" and the record: never taken ezetimibe
            return Evaluation("not_met", f"{found.detail}, but the record states the opposite")
        return found
    words = content_words(line.text)
    if not words:
        return Evaluation("not_applicable")
    negated_only, affirmed_words = record_scopes(facts.text, line.text)
    # a word the record only negates ("no leg weakness") is not evidence for the criterion
    present = words & stems(facts.text) - (negated_only - affirmed_words)
    if idf:
        top = max(idf.values(), default=1.0)
        share = sum(idf.get(w, top) for w in present) / sum(idf.get(w, top) for w in words)
    else:
        share = len(present) / len(words)
    absent = frozenset(context_scopes(line.text).negated)  # what the criterion requires to be absent
    if absent and ABSENCE.search(line.text):
        words_absent = absent - GENERIC_STEMS
        if words_absent and negated_in(facts.text, words_absent, idf, line.text):
            return Evaluation("met", "the record documents the absence")
        if words_absent and affirmed_in(facts.text, words_absent, idf, line.text) \
                and not re.search(r"\bor (?:has|is|had)\b", line.text):
            return Evaluation("not_met", "the record documents what the criterion excludes: "
                              + ", ".join(sorted(words_absent & stems(facts.text))[:4]))
        parts = re.split(r"\band (?=does|is|has|have|was|no\b)|;", line.text)
        for part in parts if len(parts) > 1 else []:
            # "no personal or family history of MTC and does not have MEN2": each part on its own
            part_absent = frozenset(context_scopes(part).negated) - GENERIC_STEMS
            if part_absent and ABSENCE.search(part) and affirmed_in(facts.text, part_absent, idf, part) \
                    and not negated_in(facts.text, part_absent, idf, part):
                return Evaluation("not_met", "the record documents what the criterion excludes: "
                                  + ", ".join(sorted(part_absent & stems(facts.text))[:4]))
        words = words - absent  # the rest of the criterion is a positive requirement
        if not words:
            return Evaluation("not_documented", "the record does not say")
    negated = negated_in(facts.text, words, idf, line.text)
    if ABSENCE.search(line.text) or (CUE.search(line.text) and negated):
        # a criterion that requires an absence ("no psychotic features", "no history of seizures")
        if negated:
            return Evaluation("met", "the record documents the absence")
        if ABSENCE.search(line.text) and (share >= 0.5 or idf) and affirmed_in(facts.text, words, idf, line.text) \
                and not re.search(r"\bor (?:has|is|had)\b", line.text):
            return Evaluation("not_met", "the record documents what the criterion excludes: " + ", ".join(sorted(present)[:4]))
        return Evaluation("not_documented", "the record does not say")
    if negated:
        return Evaluation("not_met", "the record states the opposite")
    if share >= 0.5 or len(present) >= 3:
        return Evaluation("met", "documented: " + ", ".join(sorted(present)[:6]))
    return Evaluation("not_documented", "not found in the question or patient record")
