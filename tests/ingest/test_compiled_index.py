"""Compiled criteria in the index: written by every commit beside chunks.jsonl, reused for unchanged
documents, compiled again from stored chunks (never re-embedded) for an index built before them —
which still opens and answers meanwhile; a policy whose lists cannot be read still ingests, with a
warning in the report."""

from __future__ import annotations

import json

from app.engine import Engine
from app.engine.compiled import CRITERIA_FILE, read_compiled
from app.engine.retrieve.index import current_generation
from ingest.sync import sync

PAP = """---
title: Sleep apnea PAP devices
doc_type: policy
issuer: Test plan
effective_date: 2025-01-01
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
KNEE = """---
title: Knee arthroscopy
doc_type: policy
---
# Knee arthroscopy

## Limitations and exclusions

Arthroscopic debridement of the knee is not covered for osteoarthritis of the knee.
"""
SCANNED = """---
title: Scanned policy
doc_type: policy
---
# Scanned policy

## Coverage criteria

Treatment is covered when all of the following criteria are met:

The patient has a confirmed diagnosis.

The patient tried physical therapy for 6 weeks.
"""


def corpus(tmp_path, **files: str):
    root = tmp_path / "corpus"
    root.mkdir(exist_ok=True)
    for name, text in files.items():
        (root / f"{name}.md").write_text(text)
    return root


def test_ingest_writes_the_records_and_reuses_those_of_unchanged_documents(tmp_path, fake_settings):
    root = corpus(tmp_path, pap=PAP)
    sync([root], fake_settings)
    first = current_generation(fake_settings.index_path)
    records = read_compiled(first)["pap"]
    assert [i.title for i in records.indications] == ["Obstructive sleep apnea"]
    age, ahi = records.indications[0].criteria.items
    assert age.predicate.lower == 18 and (ahi.predicate.subject, ahi.predicate.value) == ("ahi", 15)
    assert len(records.experimental) == 1
    assert sync([root], fake_settings).committed is False  # nothing changed: the generation stays

    (root / "knee.md").write_text(KNEE)
    report = sync([root], fake_settings)
    second = current_generation(fake_settings.index_path)
    assert report.added == ["knee"] and second != first
    now = read_compiled(second)
    assert now["pap"] == records and [e.text for e in now["knee"].exclusions] == [
        "Arthroscopic debridement of the knee is not covered for osteoarthritis of the knee."]
    assert Engine.from_settings(fake_settings).index.compiled == now


def test_an_index_built_before_criteria_answers_and_the_next_sync_compiles_them(tmp_path, fake_settings):
    root = corpus(tmp_path, pap=PAP)
    sync([root], fake_settings)
    gen = current_generation(fake_settings.index_path)
    expected = read_compiled(gen)
    (gen / CRITERIA_FILE).unlink()  # as an index written before this change

    engine = Engine.from_settings(fake_settings)
    answer = engine.ask("Is CPAP medically necessary for obstructive sleep apnea?", "54-year-old man, AHI 22 events per hour.")
    assert answer.verdict == "yes" and engine.index.compiled == {}

    report = sync([root], fake_settings)
    assert report.committed and report.chunks_embedded == 0 and report.unchanged == ["pap"]
    assert read_compiled(current_generation(fake_settings.index_path)) == expected


def test_a_policy_whose_lists_cannot_be_read_ingests_with_a_warning(tmp_path, fake_settings):
    root = corpus(tmp_path, scanned=SCANNED)
    report = sync([root], fake_settings)
    assert report.ok and report.added == ["scanned"]
    warnings = [reason for _, reason in report.warnings]
    assert any(w.startswith("criteria: ") and "free-text criteria" in w for w in warnings)
    gen = current_generation(fake_settings.index_path)
    entry = json.loads((gen / "manifest.json").read_text())["documents"]["scanned"]
    assert entry["criteria_warnings"] and "could not be read" in entry["criteria_warnings"][0]
    tree = read_compiled(gen)["scanned"].indications[0].criteria
    assert tree.basis == "unparsed" and [c.text for c in tree.items] == [
        "The patient has a confirmed diagnosis.", "The patient tried physical therapy for 6 weeks."]
