"""The billing and diagnosis codes a policy lists, read from the document itself: the ``codes`` its
front matter declares (ingest keeps them, flattened, on every chunk and in the index manifest) and
the lines of its "Codes" section, which name each code's system and what it stands for::

    - HCPCS (IVIG, per 500 mg): J1459 Privigen; J1554 Asceniv; …
    - ICD-10-CM (MG and neuropathies): G70.00 MG without exacerbation; …; C91.10 to C91.12 CLL

A code *matches the request* when the question names it, or when the concepts (the engine's
synonym groups: 'IVIG', 'MG', 'GBS') of its line heading and its own description agree with the
question's (see :func:`_fits`). No code is written in this module: a policy without codes gives none."""

from __future__ import annotations

import re
from typing import Iterable

from pydantic import BaseModel

from app.chunks import Chunk
from app.engine.text.tokens import stems
from app.engine.text.vocabulary import canonical, synonym_terms

# The shapes of the code systems (to name the system of a code that no heading names)
_SHAPES = (
    ("ICD-10-CM", re.compile(r"^[A-TV-Z]\d[0-9A-Z](\.[0-9A-Z]{1,4})?$")),
    ("HCPCS", re.compile(r"^[A-V]\d{4}$")),
    ("CPT", re.compile(r"^\d{4}[0-9FTU]$")),
)
_SYSTEM_NAMES = re.compile(r"^\s*(HCPCS|CPT|ICD-?10(?:-CM|-PCS)?|ICD-?9(?:-CM)?|NDC|LOINC|SNOMED(?: CT)?|RxNorm)\b", re.I)
_CODES_HEADING = re.compile(r"(?:^|>)\s*(?:[\w ,&/]*\b)?(?:codes?|coding)\b[^>]*$", re.I)
_CODE_TOKEN = re.compile(r"(?<![\w.])([A-Z0-9](?:[A-Z0-9.]*[A-Z0-9])?)(?![\w])")
_CONNECTOR = re.compile(r"^(?:\s|,|and\b|or\b|to\b|through\b|-|–)+", re.I)


class PolicyCode(BaseModel):
    system: str
    code: str
    description: str = ""
    heading: str = ""
    matches: bool = False


def system_of(code: str) -> str:
    return next((name for name, shape in _SHAPES if shape.match(code)), "Other")


def concepts(text: str) -> set[str]:
    return {canonical(term) for term in synonym_terms(text)}


def policy_codes(declared: Iterable[str], chunks: Iterable[Chunk], question: str) -> list[PolicyCode]:
    """Every code the policy declares (or its Codes section lists), described where the section
    describes it, with ``matches`` set for those that fit ``question``."""
    declared = [c.strip().upper() for c in declared if c and c.strip()]
    described: dict[str, PolicyCode] = {}
    for chunk in chunks:
        if _CODES_HEADING.search(chunk.section or ""):
            for line in chunk.text.splitlines():
                for code in _read_line(line, declared):
                    described.setdefault(code.code, code)
    codes = [described.get(c) or PolicyCode(system=system_of(c), code=c) for c in dict.fromkeys(declared)]
    codes += [c for key, c in described.items() if key not in set(declared)]
    asked, words = concepts(question), stems(question)
    named = set(_CODE_TOKEN.findall(question.upper()))
    for code in codes:
        code.matches = code.code in named or _fits(code, asked, words)
    return codes


def _fits(code: PolicyCode, asked: set[str], words: frozenset[str]) -> bool:
    """A heading is general ('ICD-10-CM (MG and neuropathies)'): it must share a concept with the
    question; a code's own description is specific: every concept it names must be asked about.
    Where neither names a concept, every word of the description must be in the question."""
    heading, own = concepts(code.heading), concepts(code.description)
    if not (heading or own):
        described = stems(code.description)
        return bool(described) and described <= words
    return (not heading or bool(heading & asked)) and own <= asked


def _read_line(line: str, declared: list[str]) -> list[PolicyCode]:
    """The codes of one line of a Codes section, in any of the shapes policies write::

        HEADING: CODE description; CODE and CODE description; CODE to CODE description
        HEADING: CODE (description), CODE, CODE (description)
        SYSTEM CODE: description

    A code's description is the text after it up to the next code; codes listed one after another
    share the description that follows the last of them."""
    heading, sep, rest = line.lstrip("-*• \t").partition(":")
    named = _SYSTEM_NAMES.match(heading) if sep else None
    if not named:
        return []
    system = _normal_system(named.group(1))
    in_heading = [m.group(1) for m in _CODE_TOKEN.finditer(heading[named.end():]) if _looks_like_code(m.group(1))]
    if in_heading:  # 'HCPCS E0601: continuous positive airway pressure (CPAP) device.'
        label = _tidy(rest)
        return [PolicyCode(system=system, code=c, description=label, heading=named.group(1)) for c in in_heading]
    found: list[PolicyCode] = []
    for item in rest.split(";"):
        spans = [m for m in _CODE_TOKEN.finditer(item) if _looks_like_code(m.group(1))]
        own = [_tidy(item[m.end():n.start() if n else len(item)]) for m, n in zip(spans, [*spans[1:], None])]
        for i in reversed(range(len(own) - 1)):  # 'E10.9, E10.649 (type 1 diabetes …)': the run shares it
            own[i] = own[i] or own[i + 1]
        described = {m.group(1): text for m, text in zip(spans, own)}
        for a, b in _ranges(item, spans):
            described.update({c: described[b] for c in declared if _between(c, a, b) and c not in described})
        found += [PolicyCode(system=system, code=c, description=text, heading=heading.strip())
                  for c, text in described.items()]
    return found


def _tidy(text: str) -> str:
    """A description as written between codes, without the connectors and brackets around it."""
    text = _CONNECTOR.sub("", text).strip().rstrip(".,;").strip()
    return text[1:-1].strip() if text.startswith("(") and text.endswith(")") and text.count("(") == 1 else text


def _looks_like_code(token: str) -> bool:
    return any(shape.match(token) for _, shape in _SHAPES)


def _ranges(item: str, spans: list[re.Match]) -> list[tuple[str, str]]:
    return [(a.group(1), b.group(1)) for a, b in zip(spans, spans[1:])
            if re.fullmatch(r"\s*(?:to|through|-|–)\s*", item[a.end():b.start()], re.I)]


def _between(code: str, low: str, high: str) -> bool:
    return len(code) == len(low) == len(high) and code[0] == low[0] == high[0] and low <= code <= high


def _normal_system(name: str) -> str:
    upper = name.upper().replace("ICD10", "ICD-10").replace("ICD9", "ICD-9")
    return "ICD-10-CM" if upper == "ICD-10" else upper
