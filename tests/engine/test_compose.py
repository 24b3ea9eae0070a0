"""Compose: the extractive answer (citations numbered in order of first use, every quote verbatim),
citation verification, the Markdown rendering, and a phrase for every verdict."""

from __future__ import annotations

from app.engine.compose.citations import verify
from app.engine.compose.extractive import VERDICT_PHRASES, compose
from app.engine.compose.markdown import to_markdown
from app.engine.read import understand
from app.engine.records import CriterionLine, Decision, Evaluation
from app.engine.text.statements import split_chunk
from app.schemas import VERDICTS, Answer, Citation, Statement
from fakes import chunk, hits

TITLE = "PCSK9 inhibitors"
CRITERIA = chunk("pcsk9", "Evolocumab is considered medically necessary for clinical ASCVD when ALL of the following are met:\n"
                 "- The patient has clinical atherosclerotic cardiovascular disease.\n"
                 "- The LDL-C is ≥ 70 mg/dL despite maximally tolerated statin therapy.",
                 section="Medical necessity criteria > Clinical ASCVD", title=TITLE, effective_date="2025-01-01")
UNPROVEN = chunk("pcsk9", "Evolocumab for familial chylomicronemia syndrome is considered experimental, investigational "
                 "or unproven.", section="Experimental, investigational or unproven", title=TITLE, n=1)
QUESTION = "Is Repatha medically necessary for clinical ASCVD?"
FRAME = understand(QUESTION, "Prior MI. LDL-C 68 mg/dL on maximally tolerated statin therapy.")
LEAD, ASCVD_LINE, LDL_LINE = split_chunk(CRITERIA)
PASSAGES = hits(CRITERIA, UNPROVEN)


def denied() -> Decision:
    return Decision("no", deciding=[LEAD], primary_document="pcsk9", indication=CRITERIA.section, criteria=[
        (CriterionLine(LDL_LINE.text), Evaluation("not_met", "ldl 68 fails >= 70"), LDL_LINE),
        (CriterionLine(ASCVD_LINE.text), Evaluation("met", "documented: atherosclerot"), ASCVD_LINE),
        (CriterionLine("A line no sentence quotes."), Evaluation("not_documented", "the record does not say"), None),
    ])


def test_citations_are_numbered_in_order_of_first_use():
    answer = compose(QUESTION, FRAME, denied(), PASSAGES)
    assert answer.verdict == "no"
    assert answer.summary == (f"{VERDICT_PHRASES['no']} — {LEAD.text} [1] Not met: {LDL_LINE.text.rstrip('.')} [2] "
                              "— ldl 68 fails >= 70.")  # the number that decided it
    assert [(c.id, c.quote) for c in answer.citations[:3]] == [(1, LEAD.text), (2, LDL_LINE.text), (3, ASCVD_LINE.text)]
    assert [c.citations for c in answer.criteria] == [[2], [3], []]
    assert answer.sections["Rationale"] == [Statement(text=LEAD.text, citations=[1])]
    assert [c.id for c in answer.citations] == list(range(1, len(answer.citations) + 1))


def test_every_quote_is_verbatim_in_its_chunk_and_carries_its_provenance():
    answer = compose(QUESTION, FRAME, denied(), PASSAGES)
    chunks = {h.chunk.chunk_id: h.chunk for h in PASSAGES}
    for c in answer.citations:
        assert c.quote in chunks[c.chunk_id].text
        assert (c.document_id, c.title, c.section) == ("pcsk9", TITLE, chunks[c.chunk_id].section)
    assert answer.citations[0].effective_date == "2025-01-01"
    assert [p.chunk_id for p in answer.retrieved] == [CRITERIA.chunk_id, UNPROVEN.chunk_id]


def test_criteria_not_documented_become_missing_information():
    answer = compose(QUESTION, FRAME, denied(), PASSAGES)
    assert answer.missing_information == ["Document whether: A line no sentence quotes."]


def test_cannot_answer_cites_nothing_and_says_what_is_missing():
    answer = compose("Is a cochlear implant covered?", understand("Is a cochlear implant covered?"),
                     Decision("cannot_answer", "not_in_corpus"), PASSAGES)
    assert answer.verdict == "cannot_answer" and answer.reason == "not_in_corpus"
    assert answer.citations == [] and answer.sections == {} and answer.criteria == []
    assert answer.summary == VERDICT_PHRASES["cannot_answer"] + "."
    assert answer.missing_information == ["A document that addresses this question would need to be ingested."]
    spanish = compose("¿Qué es?", understand("¿Qué es?"), Decision("cannot_answer", "not_english"), PASSAGES)
    assert spanish.summary.endswith("(the question is not in English).")


def test_verify_drops_a_quote_that_is_not_verbatim_and_the_statement_it_leaves_bare():
    answer = Answer(question=QUESTION, verdict="no", summary="No [1] [2].", citations=[
        Citation(id=1, document_id="pcsk9", chunk_id=CRITERIA.chunk_id, title=TITLE, quote="Evolocumab is never covered."),
        Citation(id=2, document_id="pcsk9", chunk_id=UNPROVEN.chunk_id, title=TITLE, quote=UNPROVEN.text),
    ], sections={"Rationale": [Statement(text="Never covered.", citations=[1]),
                               Statement(text=UNPROVEN.text, citations=[1, 2])]})
    verified = verify(answer, {c.chunk_id: c for c in (CRITERIA, UNPROVEN)})
    assert [(c.id, c.quote) for c in verified.citations] == [(1, UNPROVEN.text)]  # renumbered
    assert verified.sections == {"Rationale": [Statement(text=UNPROVEN.text, citations=[1])]}
    assert verified.summary == "No  [1]."
    assert verified.flags == [f"citation [1] removed: quote is not verbatim in {CRITERIA.chunk_id}",
                              "statement removed (no valid citation): Never covered."]


def test_verify_drops_a_citation_to_a_passage_not_retrieved():
    answer = compose(QUESTION, FRAME, denied(), PASSAGES)
    verified = verify(answer, {UNPROVEN.chunk_id: UNPROVEN})
    assert verified.citations == [] and verified.criteria == [] and "Rationale" not in verified.sections
    assert f"citation [1] removed: passage {CRITERIA.chunk_id} was not retrieved" in verified.flags


def test_an_answer_composed_from_its_passages_keeps_every_cited_part():
    answer = compose(QUESTION, FRAME, denied(), PASSAGES)
    before = answer.model_copy(deep=True)
    verified = verify(answer, {h.chunk.chunk_id: h.chunk for h in PASSAGES})
    assert not verified.flags
    assert verified.citations == before.citations and verified.sections == before.sections
    assert verified.summary == before.summary
    # a criterion no sentence of the policy quotes has no citation, and verification drops it from the table
    assert verified.criteria == before.criteria[:2]
    assert verified.missing_information == before.missing_information


def test_markdown_shows_the_verdict_the_criteria_and_numbered_references():
    text = to_markdown(compose(QUESTION, FRAME, denied(), PASSAGES))
    assert text.startswith("**Verdict: no**\n\n" + VERDICT_PHRASES["no"])
    assert f"| {LDL_LINE.text} [2] | NOT met | ldl 68 fails >= 70 |" in text
    assert "### Rationale\n" in text and f"- {LEAD.text} [1]" in text
    assert f"[1] {TITLE} (pcsk9) — {CRITERIA.section}, 2025-01-01: “{LEAD.text}”" in text
    assert "### Missing information\n- Document whether: A line no sentence quotes." in text
    refused = to_markdown(compose("?", understand("Is it covered?"), Decision("cannot_answer", "not_in_corpus"), []))
    assert refused.startswith("**Verdict: cannot answer** (not in corpus)") and "### References" not in refused


def test_every_verdict_has_a_phrase():
    assert set(VERDICT_PHRASES) == set(VERDICTS)


def test_an_any_of_criterion_shows_its_options_in_its_row():
    listed = CriterionLine("The patient has ANY of the following:", children=[
        CriterionLine("a prior myocardial infarction;"), CriterionLine("a prior ischemic stroke.")])
    decision = Decision("conditional", primary_document="pcsk9", criteria=[
        (listed, Evaluation("not_documented", "none of the alternatives is documented"), None)])
    answer = compose(QUESTION, FRAME, decision, PASSAGES)
    assert answer.criteria[0].text == ("The patient has ANY of the following: a prior myocardial infarction; "
                                       "a prior ischemic stroke.")
    assert answer.missing_information == ["Document whether any of these applies: a prior myocardial infarction; "
                                          "a prior ischemic stroke"]
    assert "a prior ischemic stroke" in to_markdown(answer)


def test_a_yes_says_how_many_criteria_nobody_documented():
    decision = Decision("yes", deciding=[LEAD], primary_document="pcsk9", criteria=[
        (CriterionLine(ASCVD_LINE.text), Evaluation("met", "documented: atherosclerot"), ASCVD_LINE),
        (CriterionLine(LDL_LINE.text), Evaluation("met", "ldl 92 meets >= 70"), LDL_LINE),
        (CriterionLine("A line no sentence quotes."), Evaluation("not_documented", "the record does not say"), None)])
    answer = compose(QUESTION, FRAME, decision, PASSAGES)
    assert answer.summary.endswith("1 of the 3 criteria is not documented: see the missing information.")
    assert answer.missing_information == ["Document whether: A line no sentence quotes."]


MG_EVIDENCE = chunk("mg-evidence", "Where sources disagree on maintenance IVIG.\n"
                    "- Maintenance IVIG in refractory MG, position 1: the consensus guidance (Sanders 2016; statement kept in "
                    "the Narayanaswami 2021 update) says IVIG may be considered as maintenance therapy in refractory MG. "
                    "Gajdos et al. 2005 found 1 g/kg not inferior to 2 g/kg.", section="Where sources disagree",
                    title="MG evidence")
CONSENSUS = ("Maintenance IVIG in refractory MG, position 1: the consensus guidance (Sanders 2016; statement kept in the "
             "Narayanaswami 2021 update) says IVIG may be considered as maintenance therapy in refractory MG.")


def test_a_statement_cut_at_a_semicolon_is_quoted_as_its_whole_sentence():
    _, head, tail, gajdos, year = split_chunk(MG_EVIDENCE)
    assert head.text.endswith("(Sanders 2016;") and tail.text.startswith("statement kept")  # statements, as split
    assert gajdos.text == "Gajdos et al."  # the splitter stops at "al." too
    decision = Decision("informational", deciding=[head, tail, gajdos, year], primary_document="mg-evidence")
    answer = compose("Is maintenance IVIG covered in MG?", understand("Is maintenance IVIG covered in MG?"), decision,
                     hits(MG_EVIDENCE))
    rationale = answer.sections["Rationale"]
    assert [s.text for s in rationale] == [head.text, tail.text, gajdos.text, year.text]
    assert [s.citations for s in rationale] == [[1], [1], [2], [2]]  # the pieces of one sentence cite it once
    assert [c.quote for c in answer.citations[:2]] == [CONSENSUS, "Gajdos et al. 2005 found 1 g/kg not inferior to 2 g/kg."]
    checked = verify(answer, {MG_EVIDENCE.chunk_id: MG_EVIDENCE})
    assert checked.flags == [] and all(c.quote in MG_EVIDENCE.text for c in checked.citations)  # verbatim


def test_a_whole_sentence_and_an_over_long_one_are_quoted_as_they_are():
    from app.engine.text.sentences import MAX_QUOTE, sentence_around

    text = "First sentence here. Second one; with a clause.\n- A list item (e.g. this one) ends here."
    second = text.index("Second")
    assert sentence_around(text, 0, len("First sentence here.")) == (0, len("First sentence here."))
    assert text[slice(*sentence_around(text, second, second + len("Second one;")))] == "Second one; with a clause."
    item = text.index("with")
    assert text[slice(*sentence_around(text, item, item + 4))] == "Second one; with a clause."
    bullet = text.index("A list")
    assert text[slice(*sentence_around(text, bullet + 2, bullet + 6))] == "A list item (e.g. this one) ends here."
    clauses = "; ".join(f"clause number {i} of a very long list" for i in range(40)) + "."
    assert len(clauses) > MAX_QUOTE and sentence_around(clauses, 0, 20) == (0, 20)  # no paragraph as a quote
