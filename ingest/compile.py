"""The criteria compiler: a document's chunks in, its typed records out (``app.engine.compiled``).
Run at ingest, once per new or changed document; the engine only reads what it wrote.

Each section is sorted by its headings (``ingest/sections.py``); its lines are read back from its
chunks and nested into lists (``ingest/criteria_lists.py``). Then:

- an indication section's lists become indications, each a criteria tree whose all-of / any-of
  comes from the lead ('when ALL of the following are met', 'one or more of the following'), the
  items' trailing 'and' / 'or', or a default (all-of), each leaf typed where it can be
  (``ingest/predicates.py``);
- exclusion, experimental and limit sections give one record per statement, sorted by wording;
- guideline sections give recommendations (``ingest/recommendations.py``).

A section that announces criteria but whose list cannot be read keeps its statements as free-text
criteria, and says so in ``warnings`` (the ingest report shows them). Deterministic, and linear in
the text."""

from __future__ import annotations

import re

from app.chunks import SECTION_SEP, Chunk
from app.engine.compiled import (CompiledDocument, Criterion, Exclusion, Experimental, Group, Indication, Limit,
                                 Recommendation)
from ingest.amounts import amounts
from ingest.criteria_lists import Block, Item, Line, blocks, is_lead, lead_phrase, meaningful, nest, section_lines, sentences
from ingest.predicates import kind, predicate, subject_of
from ingest.recommendations import read as read_recommendation, section_grade
from ingest.sections import classify, is_authorization_limit, wording

COMPILER_VERSION = "1"
_TRAILING_CONJUNCTION = re.compile(r"[;,]?\s+(?:and|or|and/or)$|;$")
_AT_LEAST_N = re.compile(r"(?:at least|a minimum of)\s+(\d{1,2}|two|three|four|five)\s+of\b|"
                         r"(\d{1,2}|two|three|four|five)\s+or more of\b")
_NUMBER = {"two": 2, "three": 3, "four": 4, "five": 5}
_EXCEPT = re.compile(r"\b(?:except|unless)\b", re.I)
_CRITERIA_LEAD = re.compile(r"criteri|must|medically necessary|eligib|requir|indicat", re.I)


def operator(text: str, items: list[Item]) -> tuple[str, str, int | None]:
    """(op, basis, at_least) of the list ``text`` opens."""
    low = text.lower()
    m = _AT_LEAST_N.search(low)
    at_least = None
    if m:
        n = m.group(1) or m.group(2)
        at_least = _NUMBER.get(n) or int(n)
    phrase = lead_phrase(text)
    if phrase or at_least:
        return ("any_of" if phrase == "any" or at_least else "all_of"), "phrase", at_least if at_least != 1 else None
    ends = [it.text.rstrip().lower() for it in items]
    if any(e.endswith(("; or", " or", ",or", ";or")) for e in ends):
        return "any_of", "conjunction", None
    if any(e.endswith(("; and", " and", ",and", ";and")) for e in ends):
        return "all_of", "conjunction", None
    return "all_of", "default", None


class Compiler:
    def __init__(self, chunks: list[Chunk]):
        self.texts = {c.chunk_id: c.text for c in chunks}
        self.doc = CompiledDocument(document_id=chunks[0].document_id if chunks else "", compiler=COMPILER_VERSION)
        self.prose_coverage: list[tuple[Chunk, Line]] = []

    # ---------------------------------------------------------------- citing

    def cite(self, item: Item) -> tuple[str, str]:
        """(quote, chunk id) of an item: its line, with the lines that continue it in the same chunk."""
        line, last = item.line, item.line
        for more in item.more:
            if more.chunk_id != line.chunk_id:
                break
            last = more
        return self.texts[line.chunk_id][line.start:last.end], line.chunk_id

    def node(self, item: Item, subject: str | None = None) -> Criterion | Group:
        text = _TRAILING_CONJUNCTION.sub("", item.text.strip())
        quote, chunk_id = self.cite(item)
        if item.children:
            op, basis, at_least = operator(item.text, item.children)
            inner = subject_of(text) or subject
            return Group(op=op, basis=basis, at_least=at_least, text=text, quote=quote, chunk_id=chunk_id,
                         predicate=predicate(text), items=[self.node(c, inner) for c in item.children])
        return Criterion(text=text, kind=kind(text), predicate=predicate(text, subject), quote=quote, chunk_id=chunk_id)

    def free(self, line: Line) -> Criterion:
        return Criterion(text=line.text, kind=kind(line.text), predicate=predicate(line.text), quote=line.text,
                         chunk_id=line.chunk_id)

    # ---------------------------------------------------------------- records

    def indication(self, chunk: Chunk, title: str, text: str, quote: str, chunk_id: str, criteria: Group,
                   continuation: bool) -> None:
        self.doc.indications.append(Indication(
            document_id=chunk.document_id, section=chunk.section, text=text, quote=quote, chunk_id=chunk_id,
            title=title, continuation=continuation, criteria=criteria))

    def statement(self, chunk: Chunk, cls: str, text: str, quote: str, chunk_id: str, context: str = "") -> None:
        if not meaningful(text):
            return
        said = wording(text)
        base = dict(document_id=chunk.document_id, section=chunk.section, text=text.strip(), quote=quote,
                    chunk_id=chunk_id)
        if said == "experimental" or (cls == "experimental" and said != "not_covered"):
            self.doc.experimental.append(Experimental(**base, context=context))
        elif said == "not_covered" or cls in ("exclusion", "experimental"):
            self.doc.exclusions.append(Exclusion(**base, context=context))
        else:
            found = amounts(text)
            self.doc.limits.append(Limit(**base, doses=found.doses, intervals=found.intervals,
                                         durations=found.durations, quantities=found.quantities))

    def leaves(self, items: list[Item], context: str):
        """(item, context) for every statement of a list: a parent that only opens its sub-list
        (ending with ':') is the context of its children, not a statement of its own."""
        for item in items:
            if not item.children or not item.text.rstrip().endswith(":"):
                yield item, context
            if item.children:
                yield from self.leaves(item.children, item.text.strip())

    # ---------------------------------------------------------------- sections

    def section(self, chunk: Chunk, lines: list[Line]) -> None:
        cls = classify(chunk.section, chunk.title, chunk.doc_type)
        if cls == "other" or not lines:
            return
        parts = blocks(nest(lines))
        if cls in ("recommendation", "unknown"):
            self.recommendations(chunk, parts, lines, strict=cls == "unknown")
        elif cls in ("exclusion", "experimental", "limits"):
            self.statements(chunk, cls, parts)
        else:
            self.coverage(chunk, cls, parts)

    def statements(self, chunk: Chunk, cls: str, parts: list[Block]) -> None:
        for block in parts:
            context = block.lead.text.strip() if block.lead else ""
            for item, ctx in self.leaves(block.items, context):
                self.statement(chunk, cls, item.text, *self.cite(item), context=ctx)
            for line in block.lines:
                if block.kind == "prose" and is_lead(line.text):
                    continue
                for s in sentences(line):
                    self.statement(chunk, cls, s.text, s.text, s.chunk_id, context=context)

    def coverage(self, chunk: Chunk, cls: str, parts: list[Block]) -> None:
        heading = chunk.section.split(SECTION_SEP)[-1] if chunk.section else chunk.title
        continuation = cls == "continuation"
        leads = sum(1 for b in parts if b.kind != "prose" and b.lead is not None)
        listed = False
        loose: list[Line] = []
        for block in parts:
            if block.kind == "list":
                listed = True
                self.listed(chunk, cls, heading if leads <= 1 or block.lead is None else block.lead.text.strip(),
                            block, continuation)
            elif block.kind == "announced":
                listed = True
                lead = block.lead
                op, _, at_least = operator(lead.text, [])
                items = [self.free(s) for line in block.lines for s in sentences(line)]
                self.indication(chunk, heading if leads <= 1 else lead.text.strip(), lead.text.strip(), lead.text,
                                lead.chunk_id, Group(op=op, basis="unparsed", at_least=at_least, text=lead.text.strip(),
                                                     quote=lead.text, chunk_id=lead.chunk_id, items=items),
                                continuation)
                self.doc.warnings.append(f"section '{chunk.section}': the list announced by '{lead.text.strip()[:80]}' "
                                         f"could not be read; its {len(items)} statements are kept as free-text criteria")
            else:
                for s in (s for line in block.lines for s in sentences(line)):
                    said = wording(s.text)
                    if said in ("experimental", "not_covered"):
                        self.statement(chunk, cls, s.text, s.text, s.chunk_id)
                    elif cls != "policy":
                        loose.append(s)
                    elif said == "covered":
                        self.prose_coverage.append((chunk, s))
        if loose and not listed:  # criteria written as prose, or a list whose markers did not survive
            self.indication(chunk, heading, loose[0].text, loose[0].text, loose[0].chunk_id,
                            Group(op="all_of", basis="unparsed", items=[self.free(s) for s in loose]), continuation)
            self.doc.warnings.append(f"section '{chunk.section}': no criteria list found; its {len(loose)} "
                                     "statements are kept as free-text criteria")
        elif loose:
            self.prose_coverage.extend((chunk, s) for s in loose if wording(s.text) == "covered")

    def listed(self, chunk: Chunk, cls: str, title: str, block: Block, continuation: bool) -> None:
        lead = block.lead
        said = wording(lead.text) if lead else None
        if said in ("experimental", "not_covered"):
            if not _EXCEPT.search(lead.text):
                for item, ctx in self.leaves(block.items, lead.text.strip()):
                    self.statement(chunk, "exclusion", item.text, *self.cite(item), context=ctx)
                return
            # 'not covered except … when ALL of the following are met': the exclusion, and its exception's criteria
            self.statement(chunk, "exclusion", lead.text, lead.text, lead.chunk_id)
            title = lead.text.strip()
        if lead is not None and cls == "policy" and said is None and not _CRITERIA_LEAD.search(lead.text):
            for item, _ in self.leaves(block.items, ""):  # a list in a general section: not criteria
                if wording(item.text) in ("experimental", "not_covered"):
                    self.statement(chunk, cls, item.text, *self.cite(item))
            return
        if lead is not None:
            op, basis, at_least = operator(lead.text, block.items)
            subject = subject_of(lead.text)
            self.indication(chunk, title, lead.text.strip(), lead.text, lead.chunk_id,
                            Group(op=op, basis=basis, at_least=at_least, text=lead.text.strip(), quote=lead.text,
                                  chunk_id=lead.chunk_id, items=[self.node(i, subject) for i in block.items]),
                            continuation)
            return
        rest = []
        for item in block.items:
            said = wording(item.text)
            if not item.children and said in ("experimental", "not_covered"):
                self.statement(chunk, cls, item.text, *self.cite(item))
            elif not item.children and is_authorization_limit(item.text):
                self.statement(chunk, "limits", item.text, *self.cite(item))
            else:
                rest.append(item)
        covered = [i for i in rest if wording(i.text) == "covered"]
        if cls == "policy" or (len(rest) > 1 and len(covered) == len(rest)):
            for item in covered:  # each item a coverage statement of its own
                node = self.node(item)
                group = node if isinstance(node, Group) else Group(op="all_of", items=[node])
                self.indication(chunk, title, node.text, node.quote, node.chunk_id, group, continuation)
        elif rest:
            op, basis, _ = operator("", rest)
            first = self.node(rest[0])
            self.indication(chunk, title, title, first.quote, first.chunk_id,
                            Group(op=op, basis=basis, items=[first, *(self.node(i) for i in rest[1:])]), continuation)

    def recommendations(self, chunk: Chunk, parts: list[Block], lines: list[Line], *, strict: bool) -> None:
        grade_line = section_grade([line.text for line in lines[:6]])
        statements: list[tuple[str, str, str]] = []
        for block in parts:
            statements.extend((item.text, *self.cite(item)) for item, _ in self.leaves(block.items, ""))
            statements.extend((s.text, s.text, s.chunk_id) for line in block.lines for s in sentences(line))
        for text, quote, chunk_id in statements:
            if not meaningful(text) or (grade_line and text.strip() == grade_line[1].strip()):
                continue
            r = read_recommendation(text, chunk.section, grade_line=grade_line, strict=strict)
            if r is None:
                continue
            self.doc.recommendations.append(Recommendation(
                document_id=chunk.document_id, section=chunk.section, text=text.strip(), quote=quote,
                chunk_id=chunk_id, population=r.population, age=r.age, sex=r.sex, intervention=r.intervention,
                stance=r.stance, grade=r.grade, grade_quote=r.grade_quote, date=chunk.effective_date))

    def finish(self, doc_type: str) -> CompiledDocument:
        if not self.doc.indications:  # a policy that states its coverage in prose only
            for chunk, s in self.prose_coverage:
                heading = chunk.section.split(SECTION_SEP)[-1] if chunk.section else chunk.title
                self.indication(chunk, heading, s.text, s.text, s.chunk_id, Group(op="all_of", items=[self.free(s)]),
                                False)
        if doc_type == "policy" and not any(True for _ in self.doc.records()):
            self.doc.warnings.append("no indication, exclusion, experimental statement or limit could be compiled")
        return self.doc


def compile_document(chunks: list[Chunk]) -> CompiledDocument:
    """The records of one document, from its chunks in document order."""
    compiler = Compiler(chunks)
    for first, lines in section_lines(chunks):
        compiler.section(first, lines)
    return compiler.finish(chunks[0].doc_type if chunks else "")
