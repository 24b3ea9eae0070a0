"""The starter corpus and its gold cases: front matter schema, policy structure, case references.

A failure names the file and the field (or heading, or case) at fault."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
import yaml

from evals.cases import load_cases

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CASES = ROOT / "evals" / "cases"
DOCUMENTS = sorted(p for p in CORPUS.rglob("*.md") if p.name.lower() != "readme.md")

REQUIRED = ("title", "doc_type", "issuer", "source", "effective_date", "last_reviewed", "topics", "status")
DOC_TYPES = {"guideline", "policy"}
STATUSES = {"current", "superseded"}
CODE_SYSTEMS = {"hcpcs", "cpt", "icd10"}
POLICY_HEADINGS = (
    "Policy", "Medical necessity criteria", "Experimental, investigational or unproven",
    "Limitations and exclusions", "Continuation (reauthorization) criteria", "Codes", "Evidence summary",
    "References", "Effective and revision dates",
)


class _FrontMatterLoader(yaml.SafeLoader):
    """Reads dates as their text, so an impossible date is reported by field, not as a crash."""


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", lambda loader, node: loader.construct_scalar(node))
FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.S)


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def split(path: Path) -> tuple[dict | None, str, list[str]]:
    """(front matter, body, problems)."""
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    if not match:
        return None, text, [f"{rel(path)}: no YAML front matter (the file must start with a '---' block)"]
    try:
        meta = yaml.load(match.group(1), Loader=_FrontMatterLoader)
    except yaml.YAMLError as exc:
        return None, text, [f"{rel(path)}: front matter is not valid YAML: {exc}"]
    if not isinstance(meta, dict):
        return None, text, [f"{rel(path)}: front matter must be a mapping"]
    return meta, text[match.end():], []


def _is_date(value) -> bool:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return True
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            dt.date.fromisoformat(value)
            return True
        except ValueError:
            return False
    return False


def _nonempty_str(value) -> bool:
    return isinstance(value, str) and bool(value.strip())


def front_matter_problems(path: Path) -> list[str]:
    meta, _, problems = split(path)
    if meta is None:
        return problems
    name = rel(path)
    for field in REQUIRED:
        if field not in meta or meta[field] in (None, ""):
            problems.append(f"{name}: {field}: missing (required)")
    for field in ("title", "issuer"):
        if meta.get(field) not in (None, "") and not _nonempty_str(meta[field]):
            problems.append(f"{name}: {field}: must be a non-empty string")
    if "doc_type" in meta and meta["doc_type"] not in DOC_TYPES:
        problems.append(f"{name}: doc_type: {meta['doc_type']!r} is not one of {sorted(DOC_TYPES)}")
    if "status" in meta and meta["status"] not in STATUSES:
        problems.append(f"{name}: status: {meta['status']!r} is not one of {sorted(STATUSES)}")
    source = meta.get("source")
    if source is not None and not (_nonempty_str(source) or (
            isinstance(source, list) and source and all(_nonempty_str(s) for s in source))):
        problems.append(f"{name}: source: must be a string or a non-empty list of strings")
    for field in ("effective_date", "last_reviewed"):
        if meta.get(field) not in (None, "") and not _is_date(meta[field]):
            problems.append(f"{name}: {field}: {meta[field]!r} is not a date (YYYY-MM-DD)")
    topics = meta.get("topics")
    if topics is not None and not (isinstance(topics, list) and topics and all(_nonempty_str(t) for t in topics)):
        problems.append(f"{name}: topics: must be a non-empty list of strings")
    codes = meta.get("codes")
    if codes is not None:
        if not isinstance(codes, dict):
            problems.append(f"{name}: codes: must be a mapping of {sorted(CODE_SYSTEMS)} to lists")
        else:
            for system, values in codes.items():
                if system not in CODE_SYSTEMS:
                    problems.append(f"{name}: codes.{system}: unknown code system (use {sorted(CODE_SYSTEMS)})")
                elif not isinstance(values, list) or not all(_nonempty_str(v) for v in values):
                    problems.append(f"{name}: codes.{system}: must be a list of strings (quote numeric codes)")
    return problems


def heading_problems(path: Path) -> list[str]:
    _, body, _ = split(path)
    found = [h.strip() for h in re.findall(r"^##[ \t]+(.+?)[ \t]*$", body, re.M)]
    missing = [h for h in POLICY_HEADINGS if h not in found]
    problems = [f"{rel(path)}: heading '## {h}': missing" for h in missing]
    order = [h for h in found if h in POLICY_HEADINGS]
    if not missing and order != list(POLICY_HEADINGS):
        problems.append(f"{rel(path)}: policy '##' headings out of order: {order}")
    return problems


def test_corpus_has_at_least_40_documents():
    assert len(DOCUMENTS) >= 40, f"corpus/ holds {len(DOCUMENTS)} documents; at least 40 are required"


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_front_matter(path):
    problems = front_matter_problems(path)
    assert not problems, "\n".join(problems)


POLICIES = [p for p in DOCUMENTS if (split(p)[0] or {}).get("doc_type") == "policy"]


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.relative_to(CORPUS).as_posix())
def test_policies_have_the_required_sections(path):
    problems = heading_problems(path)
    assert not problems, "\n".join(problems)


@pytest.fixture(scope="module")
def gold():
    return load_cases(CASES)  # raises, naming file and case, on a malformed or duplicate case


def test_gold_cases_are_enough_and_unique(gold):
    assert len(gold) >= 80, f"evals/cases/ holds {len(gold)} cases; at least 80 are required"
    assert len({c.id for c in gold}) == len(gold)


def test_every_expected_source_exists(gold):
    missing = [f"{Path(c.source_file).name}: case {c.id!r}: expected_sources: corpus/{doc}.md does not exist"
               for c in gold for doc in c.expected_sources if not (CORPUS / f"{doc}.md").is_file()]
    assert not missing, "\n".join(missing)


def test_at_least_12_cases_the_corpus_cannot_answer(gold):
    n = sum(c.expected_verdict == "cannot_answer" for c in gold)
    assert n >= 12, f"{n} cannot_answer cases; at least 12 are required"


def test_a_broken_document_is_reported_by_file_and_field(tmp_path):
    bad = tmp_path / "bad.md"
    bad.write_text("---\ntitle: X\ndoc_type: memo\nissuer: Y\nsource: S\neffective_date: 2026-13-01\n"
                   "last_reviewed: 2026-01-02\ntopics: []\nstatus: current\ncodes: {cpt: [90283]}\n---\n"
                   "# X\n\n## Policy\n")
    problems = front_matter_problems(bad)
    assert f"{bad}: doc_type: 'memo' is not one of ['guideline', 'policy']" in problems
    assert f"{bad}: effective_date: '2026-13-01' is not a date (YYYY-MM-DD)" in problems
    assert f"{bad}: topics: must be a non-empty list of strings" in problems
    assert f"{bad}: codes.cpt: must be a list of strings (quote numeric codes)" in problems
    assert len(problems) == 4
    assert f"{bad}: heading '## Medical necessity criteria': missing" in heading_problems(bad)
