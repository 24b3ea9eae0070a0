"""What a section is for, from its headings, and what a statement says, from its wording: the two
readings the criteria compiler sorts a document's text by. Heading words are those coverage
policies and guidelines use for their parts ('Medical necessity criteria', 'Limitations and
exclusions', 'Experimental/investigational', 'Major Recommendations'); none names a topic."""

from __future__ import annotations

import re

from app.chunks import SECTION_SEP

# (class, heading pattern): the deepest heading that matches decides; the first class that matches wins.
_HEADINGS: list[tuple[str, re.Pattern]] = [(name, re.compile(pattern, re.I)) for name, pattern in [
    ("experimental", r"experimental|investigational|unproven"),
    ("indication", r"indications? and limitations"),
    ("limits", r"limitation|\blimits?\b|dosing|dosage|\bdoses?\b|quantity|frequency|administration|"
               r"duration of (?:therapy|treatment|approval|authori)"),
    ("exclusion", r"exclusion|not medically necessary|not covered|non-?covered|excluded"),
    ("continuation", r"continuation|re-?authori[sz]ation|renewal"),
    ("contraindication", r"contraindicat"),
    ("indication", r"medical necessity|necessity criteria|coverage criteria|\bcriteria\b|\bindications?\b|"
                   r"covered (?:services|indications|conditions)|eligib|initial (?:authori|approval|therapy)"),
    ("other", r"rating scheme|\bmethods?\b|type of evidence|description of|qualifying statements|potential (?:harms|benefits)|"
              r"disclaimer|funding|conflicts? of interest|disclosure|bibliograph|availability|resources|ngc status|"
              r"guideline (?:status|title|developer|committee|category|objective)|intended users|\biom\b|cost analysis|"
              r"date released|number of source|implementation|major outcomes|interventions and practices|"
              r"target population|disease/condition|clinical algorithm|companion documents|adaptation"),
    ("recommendation", r"recommend|\bgrade\b"),
    ("other-short", r"background|description|rationale|evidence|references?|\bcodes?\b|coding|definitions?|history|\bscope\b|"
              r"purpose|applicab|revision|effective|sources?\b|summary|where sources disagree|notes?\b|overview|"
              r"responsibilit|claims|billing|reimburse|contractor"),
    ("policy", r"\bpolicy\b|coverage|\bcovered\b|benefit"),
]]
POLICY_CLASSES = {"indication", "continuation", "policy", "exclusion", "experimental", "limits"}


def classify(section: str, title: str, doc_type: str) -> str:
    """indication, continuation, exclusion, experimental, limits, recommendation, policy or other,
    from the section's headings (deepest first); a section no heading names is 'policy' in a
    policy, and 'unknown' in anything else (read for graded recommendations only)."""
    headings = [h for h in section.split(SECTION_SEP) if h]
    if headings and headings[0].strip().lower() == title.strip().lower():
        headings = headings[1:]
    for heading in reversed(headings):
        for name, pattern in _HEADINGS:
            if pattern.search(heading):
                if name == "contraindication":  # what a policy excludes; in a guideline, clinical advice
                    return "exclusion" if doc_type == "policy" else "other"
                if name == "other-short":  # 'Evidence summary', 'Revision history' — not a population
                    if len(heading.split()) > 6:  # ('Adults … with a smoking history')
                        continue
                    return "other"
                return name
    return "policy" if doc_type == "policy" else "unknown"


_EXPERIMENTAL = re.compile(r"experimental|investigational|unproven", re.I)
_NOT_COVERED = re.compile(
    r"not (?:considered )?(?:reasonable and )?medically necessary|not (?:be )?covered|(?:is|are) excluded|"
    r"excluded from|not a covered|(?:is|are) not a (?:tricare )?benefit|non-?covered|does not cover|"
    r"not eligible for (?:coverage|cost-?shar)|not reimbursable|remain excluded|shall not (?:be )?cost-?share|"
    r"may not (?:be )?cost-?share|not cost-?shared", re.I)
_COVERED = re.compile(
    r"(?:is|are) (?:considered )?(?:reasonable and )?medically necessary|(?:is|are|will be) covered|covered (?:for|when)|"
    r"(?:is|are) a (?:covered )?benefit|may be cost-?shared|(?:is|are) cost-?shared|shall cost-?share|"
    r"coverage (?:is|will be) provided|(?:is|are) eligible for (?:coverage|cost-?sharing)", re.I)
_AUTHORIZATION = re.compile(r"authori[sz]ations? (?:is|are) (?:for|valid for|limited to)|approved for up to|"
                            r"approval (?:is|are) for", re.I)


def wording(text: str) -> str | None:
    """'experimental', 'not_covered' or 'covered' when the statement says so, else None."""
    if _EXPERIMENTAL.search(text):
        return "experimental"
    if _NOT_COVERED.search(text):
        return "not_covered"
    if _COVERED.search(text):
        return "covered"
    return None


def is_authorization_limit(text: str) -> bool:
    """'Continuation authorizations are for 12 months': a limit, not a criterion."""
    return bool(_AUTHORIZATION.search(text))
