"""The engine end to end on a small corpus (fake embedder), citation verification, bad input,
and the seed question on the bundled corpus with the real embedder."""

from __future__ import annotations

from pathlib import Path

import re

import pytest

from app.chunks import Chunk
from app.engine.compose.citations import verify
from app.engine import Engine
from app.errors import BadRequest
from app.schemas import Answer, Citation, Statement
from app.settings import Settings
from ingest.sync import sync

ROOT = Path(__file__).resolve().parents[2]

POLICY = """---
title: Sleep apnea PAP devices
doc_type: policy
issuer: Test plan
effective_date: 2025-01-01
status: current
---
# Sleep apnea PAP devices

## Medical necessity criteria

### Obstructive sleep apnea

CPAP is considered medically necessary for obstructive sleep apnea when ALL of the following are met:
- The patient is age 18 years or older.
- The AHI is ≥ 15 events per hour on a sleep study.

## Experimental, investigational or unproven

- CPAP for snoring without sleep apnea is considered experimental, investigational or unproven.
"""


@pytest.fixture
def engine(tmp_path, fake_settings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "pap.md").write_text(POLICY)
    sync([corpus], fake_settings)
    return Engine.from_settings(fake_settings)


def test_numbers_decide_the_verdict_and_every_citation_is_verbatim(engine):
    yes = engine.ask("Is CPAP medically necessary for obstructive sleep apnea?", "54-year-old man, AHI 22 events per hour.")
    no = engine.ask("Is CPAP medically necessary for obstructive sleep apnea?", "54-year-old man, AHI 9 events per hour.")
    assert yes.verdict == "yes" and no.verdict == "no"
    ahi = next(c for c in no.criteria if "AHI" in c.text)
    assert ahi.status == "not_met" and "9" in ahi.detail
    for answer in (yes, no):
        assert answer.citations
        for c in answer.citations:
            assert c.quote in engine.index.chunks[c.chunk_id].text
            assert c.chunk_id in {r.chunk_id for r in answer.retrieved}


def test_no_patient_facts_gives_conditional(engine):
    assert engine.ask("Is CPAP covered for obstructive sleep apnea?").verdict == "conditional"


def test_abstains_on_uncovered_gibberish_and_foreign_questions(engine):
    assert engine.ask("Is cochlear implantation medically necessary for hearing loss?").verdict == "cannot_answer"
    assert engine.ask("asdkj qwpoe zxmcn").verdict == "cannot_answer"
    spanish = engine.ask("¿Cuál es el tratamiento de la otitis media aguda en los niños?")
    assert spanish.verdict == "cannot_answer" and spanish.reason in ("not_english", "not_in_corpus")


def test_a_named_term_no_document_mentions_is_not_answered(engine):
    # the index knows CPAP and OSA under every spelling, but no document names a glucose monitor
    assert "cpap" in engine.index.term_groups and "cgm" not in engine.index.term_groups
    answer = engine.ask("Is a continuous glucose monitor medically necessary for sleep apnea patients?")
    assert answer.verdict == "cannot_answer" and answer.reason == "not_in_corpus"
    assert engine.ask("Is positive airway pressure medically necessary for OSA?").verdict != "cannot_answer"


def test_the_patient_record_is_searched_by_words_not_embedded(engine, tmp_path):
    knee = ("---\ntitle: Knee replacement\ndoc_type: policy\n---\n# Knee replacement\n\n## Medical necessity criteria\n\n"
            "Total knee arthroplasty is considered medically necessary for knee osteoarthritis when ALL of the "
            "following are met:\n- Kellgren-Lawrence grade 3 or 4 on radiographs.\n")
    (tmp_path / "corpus" / "knee.md").write_text(knee, encoding="utf-8")
    sync([tmp_path / "corpus"], engine.settings)
    engine = Engine.from_settings(engine.settings)

    class Recording:  # the engine's embedder, noting what it is asked to encode
        def __init__(self, inner):
            self.inner, self.seen = inner, []

        def embed_query(self, text):
            self.seen.append(text)
            return self.inner.embed_query(text)

    recording = Recording(engine.retriever.embeddings)
    engine.retriever.embeddings = recording
    # the same question; the record's words pick the policy
    for record, expected in (("obstructive sleep apnea, AHI 22", "pap"), ("knee osteoarthritis, Kellgren-Lawrence 4", "knee")):
        hits = engine.retriever.search("Is it covered?", 4, context=record)
        assert hits[0].chunk.document_id == expected
        assert hits.best_dense is not None
    assert recording.seen == ["Is it covered?", "Is it covered?"]  # only the question is encoded
    engine.retriever.search("Is CPAP covered?", 4, context="AHI 22 on a sleep study")
    assert recording.seen[-1] == "Is CPAP covered? (continuous positive airway pressure)"  # spelled out, record left out


@pytest.mark.parametrize("question", ["", "   ", "x" * 4001])
def test_bad_questions_get_clear_errors(engine, question):
    with pytest.raises(BadRequest):
        engine.ask(question)


def test_verification_removes_fabricated_and_unretrieved_citations():
    chunk = Chunk(chunk_id="d#1", document_id="d", text="CPAP is covered for AHI of 15 or more.", title="T")
    answer = Answer(
        question="q", verdict="yes", summary="Yes [1] [2] [3]",
        sections={"Rationale": [Statement(text="a", citations=[1]), Statement(text="b", citations=[2]),
                                Statement(text="c", citations=[3])]},
        citations=[Citation(id=1, document_id="d", chunk_id="d#1", title="T", quote="CPAP is covered"),
                   Citation(id=2, document_id="d", chunk_id="d#1", title="T", quote="CPAP is always covered"),
                   Citation(id=3, document_id="e", chunk_id="e#9", title="T", quote="anything")],
    )
    checked = verify(answer, {"d#1": chunk})
    assert [c.quote for c in checked.citations] == ["CPAP is covered"]
    assert [s.text for s in checked.sections["Rationale"]] == ["a"]
    assert len(checked.flags) == 4 and checked.summary == "Yes [1]  "


@pytest.mark.slow
def test_seed_question_on_the_bundled_corpus(tmp_path):
    settings = Settings(data_dir=tmp_path / "data")
    sync([ROOT / "corpus"], settings)
    engine = Engine.from_settings(settings)
    answer = engine.ask(
        "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with refractory myasthenia gravis?",
        "MG-ADL 9, up from 6; intermittent diplopia, ptosis, dysarthria and dysphagia; prednisone 40 mg daily "
        "and mycophenolate tried; prior IVIG courses for exacerbations; back at work 5 hours a day; no respiratory compromise.",
    )
    assert answer.verdict == "no"
    assert answer.understood.regimen.get("ongoing") is True
    assert any(c.document_id == "policies/immune-globulin" for c in answer.citations)
    assert any("maintenance" in c.quote.lower() for c in answer.citations)
    for c in answer.citations:
        assert c.quote in engine.index.chunks[c.chunk_id].text
    # what would change the answer, and the guideline that disagrees (both positions, dated)
    assert answer.missing_information
    assert any("myasthenia" in c.topic.lower() and len(c.positions) >= 2 for c in answer.conflicts)
    by_id = {c.id: c for c in answer.citations}
    assert any(by_id[n].document_id.startswith("guidelines/") for p in answer.conflicts[0].positions for n in p.citations)
    assert re.search(r"\(\d{4}-\d{2}-\d{2}\)", answer.conflicts[0].topic)
    # the decision explains itself: the regimen check is in the criteria, against the policy's limit
    assert any(c.status in ("met", "not_met") and "g/kg" in c.detail for c in answer.criteria)
    # alternatives stay on the question's topic: nothing about IVIG for Guillain-Barré syndrome
    assert not any("GBS" in s.text or "Guillain" in s.text for s in answer.sections.get("Alternatives", []))


def test_a_code_in_the_question_weighs_up_the_policy_that_lists_it(tmp_path, fake_settings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for name, title, code in (("bypass", "Gastric surgery for obesity", "43644"),
                              ("sleeve", "Gastric surgery for diabetes", "43775")):
        (corpus / f"{name}.md").write_text(
            f"---\ntitle: {title}\ndoc_type: policy\ncodes:\n  cpt: [\"{code}\"]\n---\n# {title}\n\n"
            "## Medical necessity criteria\n\nGastric surgery is considered medically necessary when ALL of the "
            "following are met:\n- The patient is age 18 years or older.\n", encoding="utf-8")
    sync([corpus], fake_settings)
    engine = Engine.from_settings(fake_settings)
    # the words point at the other policy's title; the code decides
    for code, words, expected in (("43644", "for diabetes", "bypass"), ("43775", "for obesity", "sleeve")):
        hits = engine.retriever.search(f"Is gastric surgery {words} (CPT {code}) medically necessary?", 4, prefer="policy")
        assert hits[0].chunk.document_id == expected


def test_statements_of_the_top_document_come_first_among_equals():
    from app.engine.decide.rules.closest import best_sentences
    from app.engine.retrieve.hybrid import Hit
    from app.engine.read import understand

    def hit(doc, n, text):
        return Hit(Chunk(chunk_id=f"{doc}#{n}", document_id=doc, text=text, title=doc, section=doc), 1.0 / (n + 1))

    frame = understand("Should he have a PSA blood test?", "62-year-old man")
    prostate = "Whether to have a PSA blood test is an individual decision for men aged 55 to 69 years."
    hepatitis = "A PSA blood test is not a hepatitis B test; draw blood before the first vaccine dose."
    hits = [hit("prostate", 0, "Prostate cancer screening."), hit("hepatitis", 1, hepatitis), hit("prostate", 2, prostate)]
    # equal word overlap; the hepatitis passage ranks one place higher, but its document ranks second
    assert best_sentences(frame, hits)[0].text == prostate


def test_a_near_passage_vouches_for_a_question_whose_words_the_passages_barely_use(engine):
    from app.engine.decide.gate import MIN_TOPIC_COVERAGE, Gate, topic_coverage
    from app.engine.gather import gather
    from app.engine.read import understand
    from app.engine.retrieve.hybrid import Hits

    record = "54-year-old man with obstructive sleep apnea, AHI 22 events per hour."
    frame = understand("Is it time to start one for his nightly spells?", record)
    found = engine.retriever.search(frame.question, 4, context=record)
    evidence = gather(frame, found, engine.index, engine.corpus, has_patient=True)
    assert found and topic_coverage(frame, evidence) < MIN_TOPIC_COVERAGE  # the topic is in the record

    def verdict(best_dense):
        hits = Hits(found)
        hits.best_dense = best_dense
        evidence = gather(frame, hits, engine.index, engine.corpus, has_patient=True)
        refused = Gate(min_similarity=0.47).refuse(frame, evidence)
        return (refused or engine.decider.decide(frame, evidence)).verdict

    assert verdict(0.38) == "cannot_answer"  # nothing near: abstain
    assert verdict(0.58) != "cannot_answer"  # a passage 0.11 above the floor vouches for it


def test_one_long_document_cannot_take_every_passage(tmp_path, fake_settings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    sections = "".join(f"## Part {i}\n\nUrine culture collection in pregnancy, step {i}: midstream urine culture.\n\n"
                       for i in range(12))
    (corpus / "lab.md").write_text(f"---\ntitle: Urine culture collection practices\n---\n# Urine cultures\n\n{sections}",
                                   encoding="utf-8")
    (corpus / "screening.md").write_text(
        "---\ntitle: Bacteriuria screening\n---\n# Bacteriuria\n\n## Pregnancy\n\n"
        "Screen pregnant women for asymptomatic bacteriuria with a urine culture.\n", encoding="utf-8")
    sync([corpus], fake_settings)
    engine = Engine.from_settings(fake_settings)
    question = "Should I send a urine culture in pregnancy?"
    docs = [h.chunk.document_id for h in engine.retriever.search(question, 8)]
    # five places for the long document, then the other one, then (nothing else left) the rest
    assert docs[:5] == ["lab"] * 5 and docs[5] == "screening" and len(docs) == 8
    engine.retriever.max_per_document = 0  # no limit: the long document pushes the other one down
    unlimited = [h.chunk.document_id for h in engine.retriever.search(question, 8)]
    assert unlimited[:6] == ["lab"] * 6


def test_everyday_words_do_not_sink_a_questions_topic_coverage():
    from app.engine.decide.gate import MIN_TOPIC_COVERAGE, topic_coverage
    from app.engine.read import understand
    from app.engine.records import Corpus, Evidence
    from app.engine.retrieve.hybrid import Hit, Hits

    passage = Hit(Chunk(chunk_id="mdd#1", document_id="mdd", title="Depression", section="Pregnancy",
                        text="For pregnant women on sertraline, weigh the risks of stopping against continuing."), 1.0)
    # every word equally rare (no word weights), so only the everyday weighting differs
    no_idf = Evidence(hits=Hits([passage]), sections={}, disagreements=[],
                      corpus=Corpus(documents={}, word_idf={}, term_groups=frozenset()))
    chatty = understand("She just found out she's pregnant. Does she need to come off her sertraline?", None)
    assert topic_coverage(chatty, no_idf) >= MIN_TOPIC_COVERAGE
    # a rare word the passages lack still counts in full
    elsewhere = understand("Is isotretinoin right for her acne?", None)
    assert topic_coverage(elsewhere, no_idf) < 0.2


def test_the_retriever_is_the_one_the_settings_describe(fake_settings):
    from app.engine.retrieve.hybrid import Retriever

    settings = fake_settings.retrieval.model_copy(update={"fetch_k": 17, "rrf_k": 30, "max_per_document": 2})
    retriever = Retriever.from_settings(None, None, settings)
    assert (retriever.fetch_k, retriever.rrf_k, retriever.mode, retriever.max_per_document) == (17, 30, "hybrid", 2)
    assert Retriever.from_settings(None, None, settings, mode="bm25").mode == "bm25"


def test_checkpoints_follow_the_stages_and_can_stop_an_answer(engine):
    stages = []
    engine.ask("Is CPAP medically necessary for obstructive sleep apnea?", "AHI 20", checkpoint=stages.append)
    assert stages == ["understood", "retrieved", "decided", "composed"]

    class Stop(Exception):
        pass

    def stop_after_retrieval(stage):
        stages.append(stage)
        if stage == "retrieved":
            raise Stop

    stages.clear()
    with pytest.raises(Stop):
        engine.ask("Is CPAP medically necessary?", checkpoint=stop_after_retrieval)
    assert stages == ["understood", "retrieved"]
