"""The gold cases over ../shared/real-corpus: they load, every expected source is a real file,
and every must_mention item is in the words of at least one expected source (so a correct answer
can quote it). Skips when ../shared is absent."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from evals.cases import load_cases
from ingest.loaders import load_document

CASES = Path(__file__).resolve().parents[2] / "evals" / "real-corpus"
SUFFIXES = (".md", ".html", ".pdf")


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u2013", "-").replace("\u2014", "-")).lower()


@lru_cache(maxsize=None)
def _document_words(path: Path) -> str:
    doc = load_document(path, max_bytes=50_000_000)
    return _words(" ".join(block.text for block in doc.blocks))


def problems_in(cases, corpus: Path) -> list[str]:
    """Each case whose expected source is not a file of ``corpus``, or whose must_mention item is in
    none of its sources' words."""
    problems = []
    for case in cases:
        paths = []
        for source in case.expected_sources:
            found = [corpus / f"{source}{s}" for s in SUFFIXES if (corpus / f"{source}{s}").is_file()]
            if not found:
                problems.append(f"{case.id}: {source} is not in {corpus}")
            paths += found
        for item in case.must_mention if paths else ():
            options = [_words(o) for o in item.split("|")]
            if not any(o in _document_words(p) for p in paths for o in options):
                problems.append(f"{case.id}: must_mention {item!r} is in none of {case.expected_sources}")
    return problems


def test_real_corpus_cases_name_real_documents_and_quotable_words(real_corpus):
    cases = load_cases(CASES)
    assert len(cases) >= 150 and len({c.id for c in cases}) == len(cases)
    assert not (problems := problems_in(cases, real_corpus)), "\n".join(problems)
