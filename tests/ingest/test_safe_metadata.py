"""Front matter and metadata are bounded: YAML aliases cannot blow a 291-byte file up into a
2.7-million-character title, and no field over its bound is ever stored. Either is a named error:
ingest reports the file, skips it, and indexes the rest."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from app.backends import embedder_stamp
from app.engine.retrieve.index import open_index
from hostile_documents import ALIAS_BOMB
from ingest.frontmatter import MAX_EXPANDED_CHARS, UnsafeFrontMatter
from ingest.loaders import load_document
from ingest.metadata import LIST_BOUNDS, TEXT_BOUNDS, MetadataTooLong, normalise
from ingest.sync import sync

BOMB = ALIAS_BOMB
GOOD = b"---\ntitle: Knee arthroscopy\ndoc_type: policy\n---\n# Knee\n\nDebridement is not covered.\n"


def md(front: str, body: str = "# Policy\n\nCovered when criteria are met.\n") -> bytes:
    return f"---\n{front}\n---\n{body}".encode()


def load(name: str, data: bytes):
    return load_document(Path(name), max_bytes=10**8, data=data)


def test_the_alias_probe_is_a_named_error():
    assert len(BOMB) == 291
    with pytest.raises(UnsafeFrontMatter) as refused:
        load("bomb.md", BOMB)
    assert refused.value.code == "unsafe_front_matter" and "bomb.md" in refused.value.message
    assert "aliases" in refused.value.message


@pytest.mark.parametrize("front,reason", [
    ("a: &a [*a]\ntitle: *a", "refers to the structure holding it"),
    ("title: " + "[" * 40 + "]" * 40, "nests"),
    ("title: " + "x" * 20_000, "front matter is 20,007 characters"),
])
def test_front_matter_that_cannot_be_read_safely_is_refused(front, reason):
    with pytest.raises(UnsafeFrontMatter, match=reason):
        load("p.md", md(front))


def test_aliases_that_do_not_expand_much_still_work():
    doc = load("p.md", md("shared: &codes [J1459, J1561]\ncodes: *codes\ntitle: IVIG"))
    assert normalise(doc, "p")["codes"] == ["J1459", "J1561"]


@pytest.mark.parametrize("front,field", [
    ("title: " + "t" * 501, "title"),
    ("issuer: " + "i" * 301, "issuer"),
    ("source: " + "s" * 4001, "source"),
    ("effective_date: " + "2" * 41, "effective_date"),
    ("title: [" + ", ".join(["word " * 20] * 6) + "]", "title"),  # a list is stored joined
    ("topics: [" + ", ".join(["t"] * 101) + "]", "topics"),
    ("topics: [" + "t" * 201 + "]", "topics"),
    ("codes: [" + ", ".join(f"J{i}" for i in range(2001)) + "]", "codes"),
])
def test_a_metadata_field_over_its_bound_is_a_named_error(front, field):
    with pytest.raises(MetadataTooLong, match=field) as refused:
        load("p.md", md(front))
    assert refused.value.code == "metadata_too_long"


def test_an_html_title_over_its_bound_is_refused():
    html = f"<html><head><title>{'T' * 600}</title></head><body><p>Text.</p></body></html>".encode()
    with pytest.raises(MetadataTooLong, match="title is 600 characters"):
        load("p.html", html)


def test_a_heading_too_long_to_be_a_section_is_text():
    doc = load("p.md", b"# Policy\n\n## " + b"x" * 600 + b"\n\nCovered.\n")
    assert {b.section for b in doc.blocks} == {("Policy",)} and doc.blocks[0].text == "x" * 600


def test_ingest_reports_the_file_skips_it_and_indexes_the_rest(tmp_path, fake_settings):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bomb.md").write_bytes(BOMB)
    (corpus / "long-title.md").write_bytes(md("title: " + "t" * 5000))
    (corpus / "knee.md").write_bytes(GOOD)
    report = sync([corpus], fake_settings)
    failed = {Path(p).name: reason for p, reason in report.failed}
    assert set(failed) == {"bomb.md", "long-title.md"} and report.added == ["knee"]
    assert "aliases" in failed["bomb.md"] and "title is 5,000 characters" in failed["long-title.md"]
    index = open_index(fake_settings.index_path, stamp=embedder_stamp(fake_settings))
    assert list(index.documents) == ["knee"]


# ---------------------------------------------------------------- any input


def alias_tree(depth: int, fanout: int, leaf: str, field: str) -> str:
    lines = [f'n0: &n0 ["{leaf}"]']
    for i in range(1, depth + 1):
        lines.append(f"n{i}: &n{i} [" + ",".join([f"*n{i - 1}"] * fanout) + "]")
    return "\n".join(lines) + f"\n{field}: *n{depth}"


@settings(max_examples=60, deadline=None)
@given(depth=st.integers(0, 8), fanout=st.integers(1, 12), leaf=st.text(alphabet="lo ", max_size=60),
       field=st.sampled_from(["title", "issuer", "topics", "unused"]))
def test_aliases_never_expand_past_the_bound(depth, fanout, leaf, field):
    front = alias_tree(depth, fanout, leaf, field)
    leaves = (len(leaf) + 2) * fanout ** depth  # the field alone holds this many characters and nodes
    if leaves > MAX_EXPANDED_CHARS:
        with pytest.raises(UnsafeFrontMatter):
            load("p.md", md(front))
        return
    try:
        meta = normalise(load("p.md", md(front)), "p")
    except UnsafeFrontMatter:
        assert 2 * (depth + 2) * leaves > MAX_EXPANDED_CHARS  # all of it, definitions included, is over
        return
    except MetadataTooLong:
        return
    assert len(meta["title"]) <= TEXT_BOUNDS["title"] and len(meta["issuer"]) <= TEXT_BOUNDS["issuer"]


TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60)


@settings(max_examples=60, deadline=None)
@given(fields=st.fixed_dictionaries({}, optional={
    "title": st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=700),
    "issuer": st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=400),
    "source": st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=4500),
    "effective_date": TEXT, "status": TEXT, "doc_type": TEXT,
    "topics": st.lists(st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=250), max_size=120),
    "codes": st.lists(st.text(alphabet="ABJ0123456789", min_size=1, max_size=50), max_size=2100),
}))
def test_stored_metadata_is_always_within_its_bounds(fields):
    try:
        doc = load("p.md", md(yaml.safe_dump(fields) if fields else "{}"))
    except (MetadataTooLong, UnsafeFrontMatter):
        return
    meta = normalise(doc, "p")
    for key, limit in TEXT_BOUNDS.items():
        assert len(meta[key]) <= limit, key
    for key, (items, chars) in LIST_BOUNDS.items():
        assert len(meta[key]) <= items and all(len(v) <= chars for v in meta[key]), key
