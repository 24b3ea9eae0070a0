"""Which named things in a question are conditions and which are interventions, learned from the
index's own documents, so a follow-up ("what about CIDP?", "what about plasma exchange?") knows
which part of the last question it replaces. No name is written here.

The terms are the synonym table's spellings and the documents' ``topics``. Their kind is voted by
where the documents put them:

- a title "X for Y" or "X in Y" names an intervention (X) and what it treats (Y);
- a policy's title without "for" names the service it covers, a guideline's the condition it is about;
- a policy's coverage statement ("X is considered medically necessary for Y when …") names an
  intervention (X) and a condition (Y).

A title's vote in a policy counts twice (a coverage policy is written around one service). A term nobody
voted on has no kind; the follow-up reader then goes by the wording alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

from app.engine.text.vocabulary import GENERIC, READINGS, SYNONYM_GROUPS, canonical, synonym_terms

CONDITION, INTERVENTION = "condition", "intervention"
_SPLIT = re.compile(r"\s(?:for|in)\s", re.I)
_LISTED = re.compile(r"\(([^()]*,[^()]*)\)")
# "X is considered medically necessary for Y when …", "X is covered for Y if …": one line of a policy
_COVERS = re.compile(r"(?:^|(?<=[.:;]\s)|(?<=\n))(?:- )?(?P<what>[^.:;\n]{2,120}?)\s(?:is|are)\s(?:considered\s)?"
                     r"(?:medically necessary|covered)\s(?:for|in)\s(?P<whom>[^.:;\n]{2,160}?)"
                     r"(?:\s(?:when|if|only|who|with)\b|[.:;\n]|$)", re.I)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    text: str
    group: str  # the canonical spelling of its synonym group (or the topic itself)
    kind: str | None


@dataclass
class Slots:
    kinds: dict[str, str] = field(default_factory=dict)  # group → condition | intervention
    topics: frozenset[str] = frozenset()  # topic phrases the synonym table does not hold
    groups: dict[str, str] = field(default_factory=dict)  # a topic that extends one term → its group

    def __post_init__(self):
        spellings = {t for g in SYNONYM_GROUPS for t in g} | set(self.topics)
        self._pattern = re.compile(
            r"(?<![\w-])(" + "|".join(re.escape(t) for t in sorted(spellings, key=len, reverse=True)) + r")(?![\w-])",
            re.I)

    @classmethod
    def from_corpus(cls, documents: dict[str, dict], statements: Iterable[str] = ()) -> "Slots":
        """``documents``: the index manifest's documents (title, doc_type, topics);
        ``statements``: the policies' text, whose coverage statements are read."""
        synonyms = {t for g in SYNONYM_GROUPS for t in g}
        topics = frozenset(t.lower() for d in documents.values() for t in d.get("topics") or ()
                           if isinstance(t, str) and len(t) > 2 and t.lower() not in GENERIC and t.lower() not in synonyms)
        groups = {}
        for topic in topics:  # "refractory myasthenia gravis" is a kind of "myasthenia gravis"
            inner = {canonical(t) for t in synonym_terms(topic)}
            if len(inner) == 1:
                groups[topic] = inner.pop()
        slots = cls(topics=topics, groups=groups)
        votes: dict[str, dict[str, int]] = {}

        def vote(text: str, kind: str, weight: int) -> None:
            for group in {m.group for m in slots.mentions(text)}:
                votes.setdefault(group, {}).setdefault(kind, 0)
                votes[group][kind] += weight

        for doc in documents.values():
            policy = doc.get("doc_type") == "policy"
            weight = 2 if policy else 1
            title = str(doc.get("title") or "").split(":", 1)[0]  # after a colon: which edition, by whom
            for listed in _LISTED.findall(title):  # "(omalizumab, mepolizumab, …)": examples of the service
                if policy:
                    vote(listed, INTERVENTION, weight)
            parts = _SPLIT.split(_LISTED.sub(" ", title), maxsplit=1)
            if len(parts) == 2:
                vote(parts[0], INTERVENTION, weight)
                vote(parts[1], CONDITION, weight)
            else:
                vote(parts[0], INTERVENTION if policy else CONDITION, weight)
        for text in statements:
            for m in _COVERS.finditer(text):
                what = slots.mentions(m.group("what"))
                if what:  # the head of "Maintenance IVIG", "Bilevel PAP"
                    vote(what[-1].text, INTERVENTION, 1)
                vote(m.group("whom"), CONDITION, 1)
        slots.kinds = {g: max(v, key=lambda k: (v[k], k == CONDITION)) for g, v in votes.items()
                       if len(v) == 1 or len(set(v.values())) > 1}
        return slots

    @classmethod
    def from_index(cls, index) -> "Slots":
        """From a loaded index (its manifest's documents and its chunks' section paths)."""
        chunks = getattr(index, "chunks", None) or {}
        return cls.from_corpus(getattr(index, "documents", None) or {},
                               (c.text for c in chunks.values() if c.doc_type == "policy"))

    def mentions(self, text: str, kind: str | None = "any") -> list[Mention]:
        """The named terms in ``text``, in order (a unit 'mg' after a number is not a term)."""
        masked = text
        for pattern, reading in READINGS:
            if not reading.strip():
                masked = pattern.sub(lambda m: " " * len(m.group(0)), masked)
        out = []
        for m in self._pattern.finditer(masked):
            group = self.groups.get(m.group(1).lower()) or canonical(m.group(1))
            found = Mention(m.start(1), m.end(1), text[m.start(1):m.end(1)], group, self.kinds.get(group))
            if kind == "any" or found.kind == kind:
                out.append(found)
        return out

    def first(self, text: str, kind: str | None) -> Mention | None:
        found = self.mentions(text, kind)
        return found[0] if found else None

    def names(self, text: str, group: str) -> bool:
        """Whether ``text`` names ``group`` at all, inside a compound too ("MG-ADL" names MG)."""
        if group in {canonical(t) for t in synonym_terms(text)}:
            return True
        return group in self.topics and re.search(r"(?<![a-z0-9])" + re.escape(group) + r"(?![a-z0-9])",
                                                  text.lower()) is not None


NO_CORPUS = Slots()  # the synonym table's terms, none with a kind
