"""What a server computed from every chunk at start, computed at ingest (``precomputed.json``): the
same statements, synonym groups and word weights as computing them at start; kept for unchanged
chunks by the next sync; a file written by other code, damaged or missing is computed at start as
before, and the next sync writes it again without embedding anything."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from app.backends import embedder_stamp
from app.engine import Engine
from app.engine.retrieve.index import open_index
from app.engine.retrieve.precomputed import PRECOMPUTED_FILE, read, stamp, word_idf
from app.engine.text import statements
from app.engine.text.statements import remember, split_chunk, statement_spans
from app.engine.text.vocabulary import canonical, synonym_terms
from ingest.sync import sync

ROOT = Path(__file__).resolve().parents[2]


def opened(settings):
    return open_index(settings.index_path, stamp=embedder_stamp(settings))


def computed_at_start(index):
    """The three things as a server computed them before they were stored."""
    groups = set()
    for c in index.chunks.values():
        groups.update(canonical(t) for t in synonym_terms(f"{c.title} {c.section} {c.text}"))
    spans = {cid: [(start, len(text), stance) for text, start, stance in statements._pieces(c.text, c.section)]
             for cid, c in index.chunks.items()}
    return spans, frozenset(groups), word_idf(index.chunks.values())


@pytest.fixture
def starter(tmp_path, fake_settings):
    corpus = tmp_path / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    report = sync([corpus], fake_settings)
    assert report.ok
    return corpus


def test_ingest_stores_what_start_up_would_compute(starter, fake_settings):
    index = opened(fake_settings)
    pre = read(index.path, index.chunks)
    assert pre is not None and json.loads((index.path / PRECOMPUTED_FILE).read_text())["stamp"] == stamp()
    spans, groups, idf = computed_at_start(index)
    assert {cid: [tuple(s) for s in v] for cid, v in pre.statements.items()} == spans
    assert pre.term_groups == groups and len(groups) > 20
    assert pre.word_idf == pytest.approx(idf) and len(idf) > 1000
    assert index.term_groups == groups and index.word_idf == pytest.approx(idf)


def test_an_engine_reads_the_statements_ingest_stored(starter, fake_settings):
    statements._remembered.clear()
    statements._split.cache_clear()
    engine = Engine.from_settings(fake_settings, warm=True)
    assert statements._split.cache_info().currsize == 0  # nothing split at start
    chunk = next(c for c in engine.index.chunks.values() if len(split_chunk(c)) > 2)
    assert statements._split.cache_info().currsize == 0  # read, not split
    assert [(s.start, len(s.text), s.stance) for s in split_chunk(chunk)] == statement_spans(chunk)
    assert all(chunk.text[s.start:s.start + len(s.text)] == s.text for s in split_chunk(chunk))


def test_spans_that_do_not_fit_the_chunk_are_not_taken(starter, fake_settings):
    statements._remembered.clear()
    chunk = next(iter(opened(fake_settings).chunks.values()))
    remember([(chunk, [(0, len(chunk.text) + 5, "covered")])])
    assert (chunk.text, chunk.section) not in statements._remembered
    assert split_chunk(chunk) and all(chunk.text[s.start:].startswith(s.text) for s in split_chunk(chunk))


@pytest.mark.parametrize("damage", ["other code", "garbage", "missing", "a chunk missing"])
def test_a_file_other_code_wrote_or_a_damaged_one_is_computed_at_start_and_rewritten(starter, fake_settings, damage):
    path = opened(fake_settings).path / PRECOMPUTED_FILE
    data = json.loads(path.read_text())
    if damage == "other code":
        path.write_text(json.dumps({**data, "stamp": "0" * 16}))
    elif damage == "garbage":
        path.write_text('{"stamp": "' + stamp() + '", "statements": [1, 2')
    elif damage == "missing":
        path.unlink()
    else:
        data["statements"].pop(next(iter(data["statements"])))
        path.write_text(json.dumps(data))
    index = opened(fake_settings)
    assert index.precomputed is None
    spans, groups, idf = computed_at_start(index)
    assert index.term_groups == groups and index.word_idf == pytest.approx(idf)  # computed as before

    again = sync([starter], fake_settings)
    assert again.chunks_embedded == 0 and again.committed and not again.added and not again.updated
    index = opened(fake_settings)
    assert read(index.path, index.chunks) is not None


def test_a_sync_keeps_the_notes_of_unchanged_chunks_and_computes_those_of_changed_ones(starter, fake_settings, monkeypatch):
    before = read(opened(fake_settings).path)
    doc = starter / "policies" / "immune-globulin.md"
    doc.write_text(doc.read_text() + "\n\n## Added section\n\nIVIG is not medically necessary for added reasons.\n")
    report = sync([starter], fake_settings)
    assert report.updated == ["policies/immune-globulin"]
    index = opened(fake_settings)
    after = read(index.path, index.chunks)
    assert after is not None
    added = [cid for cid, c in index.chunks.items() if c.section.endswith("Added section")]
    assert added and all(after.statements[cid] for cid in added)
    assert after.statements[added[0]][0][2] == "not_covered"
    unchanged = set(before.statements) & set(after.statements)
    assert len(unchanged) > 0.9 * len(index.chunks)
    assert all(after.statements[cid] == before.statements[cid] for cid in unchanged)
