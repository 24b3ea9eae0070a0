"""The criteria compiler, document in, records out: list structure in Markdown and in text from
PDFs, typed predicates, recommendations, and a document whose lists cannot be read. Every record's
quote is verbatim in the chunk it names."""

from __future__ import annotations

from pathlib import Path

from app.backends import make_token_counter
from app.chunks import Chunk
from app.engine.compiled import CompiledDocument, Criterion, Group, criteria_of
from app.settings import Settings
from ingest.chunking import chunk_document
from ingest.compile import compile_document
from ingest.loaders import load_document
from ingest.metadata import resolve
from ingest.predicates import predicate
from pdfs import make_pdf

ROOT = Path(__file__).resolve().parents[2]

POLICY = """---
title: Lipid therapy
doc_type: policy
issuer: Test plan
effective_date: 2025-01-01
---
# Lipid therapy

## Medical necessity criteria

### Clinical ASCVD

Therapy is considered medically necessary for clinical ASCVD when ALL of the following are met:
- The patient is age 18 years or older.
- The patient has clinical ASCVD, documented by ANY of the following:
  - Prior myocardial infarction.
  - Prior ischemic stroke.
- The patient meets ANY of the following:
  - The patient had an inadequate response to at least 2 prior therapies for at least 3 months.
  - The patient is statin intolerant, with documented adverse effects with ALL of the following:
    - Muscle symptoms on two statins.
    - Symptoms resolved when the statin was stopped.
- The LDL-C is ≥ 70 mg/dL on that regimen.
- The prescriber is a cardiologist.

## Limitations and exclusions

- Therapy is not medically necessary when LDL-C is below 70 mg/dL.
- The dose is 140 mg every 2 weeks or 420 mg once monthly.

## Experimental, investigational or unproven

- Combined use of two agents is considered experimental, investigational or unproven.

## Evidence summary

- Trials showed that therapy is not medically necessary for everyone; this sentence is background.
"""


def compiled(tmp_path: Path, name: str, content: str | bytes, doc_id: str = "policies/x") -> tuple[CompiledDocument,
                                                                                                   list[Chunk]]:
    path = tmp_path / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    doc = load_document(path, max_bytes=10_000_000)
    meta, _ = resolve(doc, doc_id, None)
    count = make_token_counter(Settings(embedding={"backend": "fake"}))
    chunks = chunk_document(doc, document_id=doc_id, meta=meta, max_tokens=60, overlap_tokens=12, count=count)
    return compile_document(chunks), chunks


def quotes_are_verbatim(doc: CompiledDocument, chunks: list[Chunk]) -> None:
    texts = {c.chunk_id: c.text for c in chunks}
    for record in doc.records():
        assert record.quote and record.quote in texts[record.chunk_id], record
        nodes = list(criteria_of(record.criteria)) if hasattr(record, "criteria") else []
        for node in nodes:
            if isinstance(node, Criterion) or node.quote:
                assert node.quote and node.quote in texts[node.chunk_id], node


def shape(node: Group | Criterion):
    """The tree as (op, [children]) and leaf texts, to compare with what the policy says."""
    if isinstance(node, Criterion):
        return node.text
    return (node.op, [shape(i) for i in node.items])


def test_markdown_nested_lists_give_the_all_of_any_of_tree(tmp_path):
    doc, chunks = compiled(tmp_path, "lipids.md", POLICY)
    assert len(doc.indications) == 1
    ind = doc.indications[0]
    assert ind.title == "Clinical ASCVD" and ind.document_id == "policies/x" and "Medical necessity" in ind.section
    assert shape(ind.criteria) == ("all_of", [
        "The patient is age 18 years or older.",
        ("any_of", ["Prior myocardial infarction.", "Prior ischemic stroke."]),
        ("any_of", [
            "The patient had an inadequate response to at least 2 prior therapies for at least 3 months.",
            ("all_of", ["Muscle symptoms on two statins.", "Symptoms resolved when the statin was stopped."]),
        ]),
        "The LDL-C is ≥ 70 mg/dL on that regimen.",
        "The prescriber is a cardiologist.",
    ])
    assert ind.criteria.basis == "phrase" and ind.criteria.items[1].basis == "phrase"
    kinds = {n.text: n.kind for n in criteria_of(ind.criteria) if isinstance(n, Criterion)}
    assert kinds["The prescriber is a cardiologist."] == "documentation"
    assert kinds["The patient is age 18 years or older."] == "clinical"
    assert [e.text for e in doc.exclusions] == ["Therapy is not medically necessary when LDL-C is below 70 mg/dL."]
    assert len(doc.experimental) == 1 and "Combined use" in doc.experimental[0].text
    dose = doc.limits[0]
    assert [(d.value, d.unit) for d in dose.doses] == [(140, "mg"), (420, "mg")]
    assert [i.days for i in dose.intervals] == [14, 30]
    assert doc.warnings == []  # and nothing from the evidence section
    quotes_are_verbatim(doc, chunks)


def test_numbered_pdf_text_with_one_or_more_of_the_following_is_any_of(tmp_path):
    pdf = make_pdf([[
        "Coverage Policy: Home Infusion",
        "2.0 MEDICAL NECESSITY CRITERIA",
        "Home infusion is covered when the member meets one or more of the following:",
        "1. The member is unable to travel to an infusion center; or",
        "2. The member has a documented infusion reaction history, and both of the following:",
        "a) A nurse is present for the whole infusion;",
        "b) Emergency medication is available in the home.",
        "3. The member is age 65 years or older.",
        "3.0 EXCLUSIONS",
        "3.1 Home infusion for convenience alone is not covered.",
    ]])
    doc, chunks = compiled(tmp_path, "infusion.pdf", pdf, "payer/infusion")
    assert len(doc.indications) == 1
    tree = doc.indications[0].criteria
    assert tree.op == "any_of" and tree.basis == "phrase"
    assert shape(tree) == ("any_of", [
        "The member is unable to travel to an infusion center",
        ("all_of", ["A nurse is present for the whole infusion", "Emergency medication is available in the home."]),
        "The member is age 65 years or older.",
    ])
    assert tree.items[2].predicate.type == "age" and tree.items[2].predicate.lower == 65
    assert [e.text for e in doc.exclusions] == ["Home infusion for convenience alone is not covered."]
    quotes_are_verbatim(doc, chunks)


def test_bullets_and_lead_phrases_in_plain_text(tmp_path):
    text = ("Sleep study coverage\n\nCOVERAGE CRITERIA\n\nA home sleep test is covered when all of the following criteria are met:\n"
            "• The patient is 18 years of age or older • The AHI is at least 15 events per hour with any of:\n"
            "- Daytime sleepiness\n- Hypertension\n• The study is ordered by a sleep specialist\n")
    doc, chunks = compiled(tmp_path, "sleep.txt", text, "payer/sleep")
    tree = doc.indications[0].criteria
    assert shape(tree) == ("all_of", [  # a bullet inside a line starts an item; '-' under '•' is a sub-list
        "The patient is 18 years of age or older", ("any_of", ["Daytime sleepiness", "Hypertension"]),
        "The study is ordered by a sleep specialist"])
    assert tree.items[0].predicate.lower == 18 and tree.items[1].predicate.subject == "ahi"
    assert tree.items[2].kind == "documentation"
    quotes_are_verbatim(doc, chunks)


def test_typed_predicates():
    ldl = predicate("The LDL-C measured after at least 8 weeks on that regimen is ≥ 70 mg/dL.")
    assert (ldl.type, ldl.subject, ldl.comparator, ldl.value, ldl.unit) == ("quantity", "ldl", ">=", 70, "mg/dl")
    age = predicate("The patient is age 18 years or older.")
    assert (age.type, age.lower, age.upper) == ("age", 18, None)
    band = predicate("Women aged 50 to 74 years.")
    assert (band.type, band.lower, band.upper) == ("age", 50, 74)
    tried = predicate("The patient had an inadequate response to at least 2 prior therapies for at least 3 months.")
    assert (tried.type, tried.count, tried.of, round(tried.min_days)) == ("prior_therapies", 2, "prior therapies", 91)
    words = predicate("Trial and failure of two or more preventive medications.")
    assert (words.type, words.count, words.of) == ("prior_therapies", 2, "preventive medications")
    lasted = predicate("Symptoms have persisted for at least 6 weeks.")
    assert (lasted.type, lasted.comparator, lasted.days) == ("duration", ">=", 42)
    below = predicate("Serum IgG is < 500 mg/dL.")
    assert (below.subject, below.comparator, below.value) == ("igg", "<", 500)
    between = predicate("The AHI is 5 to 14 events per hour.")
    assert (between.comparator, between.value, between.upper, between.unit) == ("between", 5, 14, "events/h")
    dose = predicate("The dose is no more than 1 g/kg every 3 weeks.")
    assert dose.type == "regimen" and dose.doses[0].comparator == "<=" and dose.intervals[0].days == 21
    absent = predicate("The patient has no history of seizures.")
    assert (absent.type, absent.finding, absent.present) == ("finding", "seizures", False)
    assert predicate("Women with unexplained premature ovarian insufficiency.").sex == "female"
    assert predicate("Nerve conduction studies show conduction block.") is None


def test_a_threshold_under_a_labelled_parent_takes_its_subject(tmp_path):
    text = POLICY.replace("- The LDL-C is ≥ 70 mg/dL on that regimen.",
                          "- The blood eosinophil count meets ANY of the following:\n  - ≥ 150 cells/µL in the past 6 weeks.")
    doc, _ = compiled(tmp_path, "eos.md", text)
    leaf = doc.indications[0].criteria.items[3].items[0]
    assert (leaf.predicate.subject, leaf.predicate.value, leaf.predicate.unit) == ("eosinophils", 150, "cells/µl")


def test_a_list_that_cannot_be_read_keeps_its_statements_as_free_text_with_a_warning(tmp_path):
    text = ("---\ntitle: Scanned policy\ndoc_type: policy\n---\n# Scanned policy\n\n## Coverage criteria\n\n"
            "Treatment is covered when all of the following criteria are met:\n\n"
            "The patient has a confirmed diagnosis.\n\nThe patient tried physical therapy for 6 weeks.\n\n"
            "## Indications\n\nThe device is reasonable when pain limits walking. Imaging shows damage.\n")
    doc, chunks = compiled(tmp_path, "scan.md", text, "payer/scan")
    first, second = doc.indications
    assert first.criteria.basis == "unparsed" and first.criteria.op == "all_of"
    assert [c.text for c in first.criteria.items] == ["The patient has a confirmed diagnosis.",
                                                      "The patient tried physical therapy for 6 weeks."]
    assert second.criteria.basis == "unparsed" and len(second.criteria.items) == 2
    assert len(doc.warnings) == 2 and "free-text criteria" in doc.warnings[0]
    quotes_are_verbatim(doc, chunks)


def test_recommendations_read_their_grade_population_and_stance(tmp_path):
    html = ("<html><head><title>Condition: Screening</title></head><body><h1>Condition: Screening</h1>"
            "<h2>Women aged 50 to 74 years</h2><p><b>Grade:</b> B. <b>Sex:</b> female. <b>Ages:</b> 50 to 74.</p>"
            "<p>The USPSTF recommends biennial screening mammography for women aged 50 to 74 years.</p>"
            "<h2>Adults who have never smoked</h2><p><b>Grade:</b> D. <b>Sex:</b> men and women. <b>Ages:</b> 50 to 100.</p>"
            "<p>The USPSTF recommends against routine screening in adults who have never smoked.</p>"
            "<h2>Risk assessment</h2><p>Data suggest that age is the main risk factor.</p></body></html>")
    doc, chunks = compiled(tmp_path, "screening.html", html, "uspstf/screening")
    assert [(r.stance, r.grade) for r in doc.recommendations] == [("for", "B"), ("against", "D")]
    first = doc.recommendations[0]
    assert first.population == "Women aged 50 to 74 years" and first.sex == "female"
    assert (first.age.lower, first.age.upper) == (50, 74) and first.intervention == "biennial screening mammography"
    assert doc.recommendations[1].sex is None
    quotes_are_verbatim(doc, chunks)


def test_the_bundled_corpus_compiles_and_every_quote_is_verbatim(tmp_path):
    for path in sorted((ROOT / "corpus").rglob("*.md")):
        if path.name == "README.md":
            continue
        doc, chunks = compiled(tmp_path, path.name, path.read_bytes(), path.stem)
        quotes_are_verbatim(doc, chunks)
        assert compile_document(chunks) == doc  # deterministic
        if "policies" in path.parts:
            assert doc.indications and doc.exclusions + doc.experimental, path.name


def test_a_guidelines_own_strength_and_direction_are_read(tmp_path):
    text = ("---\ntitle: Low back pain\ndoc_type: guideline\n---\n# Low back pain\n\n## Recommendations\n\n"
            "- We suggest against offering opioids for chronic low back pain (Weak against).\n"
            "- We recommend exercise therapy for adults with chronic low back pain (Strong for).\n"
            "- Clinicians should not order imaging for nonspecific low back pain [ACP 2011 high-value care advice].\n\n"
            "## Contraindications\n\n- Imaging is contraindicated in pregnancy.\n\n"
            "## Background\n\nEvidence suggests that exercise helps.\n")
    doc, chunks = compiled(tmp_path, "lbp.md", text, "guidelines/lbp")
    assert [(r.stance, r.grade) for r in doc.recommendations] == [
        ("against", "Weak against"), ("for", "Strong for"), ("against", "ACP 2011 high-value care advice")]
    assert doc.recommendations[1].population.startswith("adults with chronic low back pain")
    assert not doc.exclusions and not doc.indications  # a guideline's contraindications are not coverage exclusions
    quotes_are_verbatim(doc, chunks)
