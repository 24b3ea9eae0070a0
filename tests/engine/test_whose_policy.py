"""Whose policy and which version decide (issue #16): the plan a request names — in a payer field,
the question or the record — restricts the decision to that plan's policies; a plan with no policy
in the corpus is said so and sent to review; a date of service picks the version in force then,
and without one a superseded version never decides. Over a tiny synced corpus (fake embedder)."""

from __future__ import annotations

import datetime as dt

import pytest

from app.engine import Engine
from app.engine.read.payer import PayerReader, short_forms
from app.engine.retrieve.scope import eligible, in_force, restrict, version_note
from app.errors import BadRequest
from app.settings import Settings
from ingest.sync import sync

MRI = ("## Medical necessity criteria\n\n### Low back pain\n\nLumbar spine MRI for low back pain is considered medically "
       "necessary when ALL of the following are met:\n- Low back pain has persisted for at least {weeks} weeks despite "
       "conservative therapy.\n- The result will change management.\n")
IVIG = ("## Medical necessity criteria\n\n### Myasthenia gravis maintenance\n\nMaintenance IVIG for generalized myasthenia "
        "gravis is {stance} when ALL of the following are met:\n- Failure of at least {n} nonsteroidal immunosuppressants.\n")
DOCUMENTS = {  # name: (title, doc_type, issuer, status, effective, extra front matter, body)
    "northwind-mri": ("Lumbar spine MRI (Northwind Health Plan)", "policy", "Northwind Health Plan", "current",
                      "2026-01-01", "", MRI.format(weeks=6)),
    "bluestem-mri": ("Lumbar spine MRI (Bluestem Mutual Health)", "policy", "Bluestem Mutual Health", "current",
                     "2026-01-01", "", MRI.format(weeks=4)),
    "back-guideline": ("Imaging for low back pain", "guideline", "American College of Physicians", "current", "", "",
                       "## Recommendations\n\nDo not image low back pain in the first 6 weeks without red flags.\n"),
    "ivig-2019": ("Immune globulin, 2019 version", "policy", "Northwind Health Plan", "superseded", "2019-07-01",
                  "superseded_by: ivig\n", IVIG.format(stance="considered medically necessary", n=1)),
    "ivig": ("Immune globulin", "policy", "Northwind Health Plan", "current", "2026-10-01", "",
             IVIG.format(stance="considered medically necessary", n=2)),
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory) -> Engine:
    root = tmp_path_factory.mktemp("whose")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, (title, doc_type, issuer, status, effective, extra, body) in DOCUMENTS.items():
        date = f"effective_date: {effective}\n" if effective else ""
        (corpus / f"{name}.md").write_text(f"---\ntitle: \"{title}\"\ndoc_type: {doc_type}\nissuer: {issuer}\n"
                                           f"status: {status}\n{date}{extra}---\n# {title}\n\n{body}", encoding="utf-8")
    settings = Settings(data_dir=root / "data", embedding={"backend": "fake"})
    report = sync([corpus], settings)
    assert not report.failed
    return Engine.from_settings(settings)


LBP = "Is lumbar spine MRI medically necessary for low back pain that has lasted 5 weeks despite conservative therapy?"


def policy_documents(answer) -> set[str]:
    return {c.document_id for c in answer.citations if c.doc_type == "policy"} | \
           {p.document_id for p in answer.retrieved if p.doc_type == "policy"}


@pytest.mark.parametrize("question, payer", [
    (LBP + " She has Bluestem coverage.", None),
    (LBP, "Bluestem Mutual Health"),
    (LBP, "bluestem"),
])
def test_the_named_plan_s_policy_alone_decides(engine, question, payer):
    answer = engine.ask(question, payer=payer)
    assert policy_documents(answer) == {"bluestem-mri"}
    under = answer.decided_under
    assert (under.document_id, under.issuer, under.plan_in_corpus) == ("bluestem-mri", "Bluestem Mutual Health", True)
    assert answer.summary.startswith("Decided under Bluestem Mutual Health's policy")


def test_a_plan_named_in_the_record_counts(engine):
    answer = engine.ask(LBP, "41-year-old Northwind Health Plan member, no red flags.")
    assert policy_documents(answer) <= {"northwind-mri", "ivig", "ivig-2019"}
    assert answer.decided_under.document_id == "northwind-mri" and "patient record" in answer.decided_under.notes[0]


def test_a_plan_with_no_policy_in_the_corpus_is_said_so_and_sent_to_review(engine):
    answer = engine.ask(LBP + " The patient has Cigna coverage.")
    under = answer.decided_under
    assert under.plan_named == "Cigna" and under.plan_in_corpus is False
    assert "holds no policy from Cigna" in answer.summary and "not Cigna's criteria" in answer.summary
    assert answer.needs_review and any("no policy from Cigna" in f for f in answer.flags)
    assert under.issuer in ("Northwind Health Plan", "Bluestem Mutual Health")  # and it names whose it used


def test_no_plan_named_records_nothing(engine):
    answer = engine.ask(LBP)
    assert answer.decided_under is None or answer.decided_under.plan_named is None


SEED = ("Is maintenance IVIG medically necessary for generalized myasthenia gravis after failure of 1 nonsteroidal "
        "immunosuppressant? Maintenance IVIG for myasthenia gravis.")


IVIG_ONLY = {"document_ids": ["ivig", "ivig-2019"]}  # the fake embedder ranks by hashed words: keep to the topic


def test_a_date_of_service_picks_the_version_in_force_and_says_so(engine):
    old = engine.ask(SEED, filters=IVIG_ONLY, as_of="2020-03-01")
    assert old.decided_under.document_id == "ivig-2019"
    assert "ivig" not in policy_documents(old)  # the current version had not taken effect
    note = " ".join(old.decided_under.notes)
    assert "in force on 2020-03-01" in note and "superseded on 2026-10-01" in note
    new = engine.ask(SEED, filters=IVIG_ONLY, as_of=dt.date(2026, 11, 1))
    assert new.decided_under.document_id == "ivig" and "ivig-2019" not in policy_documents(new)


def test_without_a_date_a_superseded_version_never_decides(engine):
    answer = engine.ask(SEED, filters=IVIG_ONLY)  # its words match the 2019 version's best: it would decide
    assert answer.decided_under is None  # the current version decided: nothing to say about versions
    assert all(c.document_id == "ivig" for c in answer.citations if c.doc_type == "policy")


@pytest.mark.parametrize("bad", ["yesterday", "2026-13-01", 20260101])
def test_a_date_of_service_that_is_not_a_date_is_refused(engine, bad):
    with pytest.raises(BadRequest) as err:
        engine.ask(SEED, as_of=bad)
    assert err.value.code == "bad_as_of"


def test_reader_recognises_plans_as_reviewers_write_them():
    reader = PayerReader(["Northwind Health Plan", "Criterion model policy", "TRICARE"])
    assert short_forms("Northwind Health Plan") == ["Northwind Health Plan", "Northwind Health", "Northwind"]
    cases = {
        "Member has Northwind coverage; MRI ok?": ("Northwind Health Plan", "Northwind Health Plan"),
        "through UHC, is CPAP covered": ("UnitedHealthcare", None),
        "61M TRICARE Prime beneficiary": ("TRICARE", "TRICARE"),
        "Is inpatient admission appropriate for this Medicare patient?": ("Medicare", None),
    }
    for text, (name, issuer) in cases.items():
        plan = reader.named(text)
        assert (plan.name, plan.issuer) == (name, issuer), text
    for text in ("which criterion is unmet?", "oscar the cat", "dose in cms", "the criterion model of care"):
        assert reader.named(text) is None, text
    assert reader.named("x", payer="cigna").name == "Cigna"  # a payer field names a plan in any case
    assert reader.named("x", payer="Acme Health").issuer is None


def test_versions_in_force_by_date():
    docs = {"old": {"effective_date": "2019-07-01", "status": "superseded", "superseded_by": "new", "doc_type": "policy"},
            "new": {"effective_date": "2026-10-01", "status": "current", "doc_type": "policy"},
            "undated": {"doc_type": "guideline"}}
    assert in_force(docs, "old", dt.date(2020, 1, 1)) and not in_force(docs, "new", dt.date(2020, 1, 1))
    assert not in_force(docs, "old", dt.date(2026, 10, 1)) and in_force(docs, "new", dt.date(2026, 10, 1))
    assert not in_force(docs, "old", dt.date(2019, 6, 30))  # before any version: neither decides
    assert eligible(docs, as_of=dt.date(2020, 1, 1)) == {"old", "undated"}
    assert eligible(docs) is None
    assert restrict({"document_ids": ["new", "undated"]}, {"old", "undated"}) == {"document_ids": ["undated"]}
    assert version_note(docs, "new", None) is None
    assert "superseded on 2026-10-01 by new" in version_note(docs, "old", dt.date(2020, 1, 1))


class PrefersOldVersions:
    """A decider that decides by a superseded version whenever one was retrieved (as a decider
    matching words might, when the old version's words are closer to the question's)."""

    def __init__(self):
        self.documents: list[list[str]] = []

    def decide(self, frame, evidence):
        from app.engine.records import Decision

        ids = [h.chunk.document_id for h in evidence.hits]
        self.documents.append(ids)
        old = [h.chunk.document_id for h in evidence.hits if h.chunk.status == "superseded"]
        return Decision("yes", primary_document=(old or ids)[0])


class NeverRefuses:
    def refuse(self, frame, evidence):
        return None


def test_a_decision_resting_on_a_superseded_version_is_taken_again_from_the_current_ones(engine):
    decider = PrefersOldVersions()
    e = Engine(engine.settings, engine.index, engine.embeddings, decider=decider, gate=NeverRefuses(),
               retriever=engine.retriever, confidence=False)
    answer = e.ask(SEED, filters=IVIG_ONLY)
    assert decider.documents[0] == ["ivig", "ivig-2019"] and decider.documents[1] == ["ivig"]
    assert answer.decided_under is None or answer.decided_under.document_id == "ivig"
    dated = e.ask(SEED, filters=IVIG_ONLY, as_of="2020-03-01")  # with a date, the version in force decides
    assert dated.decided_under.document_id == "ivig-2019" and decider.documents[-1] == ["ivig-2019"]


def test_a_successor_may_name_what_it_replaced_instead():
    from app.engine.retrieve.scope import successors

    docs = {"v1": {"effective_date": "2018-01-01", "status": "superseded"},
            "v2": {"effective_date": "2021-01-01", "status": "superseded"},
            "v3": {"effective_date": "2025-01-01", "supersedes": "v1; v2"},
            "other": {"superseded_by": "elsewhere"}}  # a successor the index does not hold: none
    assert successors(docs) == {"v1": "v3", "v2": "v3"}
    assert eligible(docs, as_of=dt.date(2019, 6, 1)) == {"v1", "v2", "other"} - {"v2"}
    assert eligible(docs, as_of=dt.date(2025, 6, 1)) == {"v3", "other"}
