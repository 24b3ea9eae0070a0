"""Which health plan a question is about: named in the request (a ``payer`` field), in the
question ("has Cigna coverage", "through UHC") or in the patient's record ("TRICARE Prime
beneficiary"). Plans are recognised from two lists: the payers data file (any plan a reviewer may
name, whether or not the corpus holds its policies) and the issuers of the index's policies (so a
plan a maintainer loaded is recognised by its own name without being listed anywhere)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

_DATA = Path(__file__).resolve().parent.parent / "text" / "data" / "payers.yaml"
# Words that say what kind of body an issuer is, not which one: "Northwind Health Plan" is also
# named "Northwind"; "Bluestem Mutual Health" also "Bluestem Mutual" and "Bluestem".
_ORG_WORDS = {"health", "healthcare", "plan", "plans", "mutual", "insurance", "insurer", "company", "co", "inc",
              "corp", "corporation", "group", "care", "model", "policy", "policies", "of", "the", "and", "&"}
EVERYDAY_ZIPF = 3.0  # a one-word short form this common in English ("Criterion") never names a plan alone
RARE_ZIPF = 2.5  # one rarer than this ("Northwind") names the plan in any case; a commoner one only capitalised


def zipf(word: str) -> float:
    from wordfreq import zipf_frequency

    return zipf_frequency(word.lower(), "en")


@dataclass(frozen=True)
class PlanNamed:
    """A plan the request names."""

    name: str  # as the answer writes it: the index issuer's name when the corpus holds its policies
    written: str  # as the question, record or request wrote it
    where: str  # "request", "question" or "patient record"
    issuer: str | None  # the index issuer it is, None when the corpus holds no policy of it


@lru_cache(maxsize=1)
def _payer_groups() -> tuple[tuple[tuple[str, ...], ...], frozenset[str]]:
    with open(_DATA, encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return tuple(tuple(g) for g in data["payers"]), frozenset(data.get("case_sensitive", []))


def short_forms(issuer: str) -> list[str]:
    """The ways an issuer's name is written: the whole name, then without its trailing words
    that name a kind of body ("Northwind Health Plan" → "Northwind"). A one-word short form that
    is a common English word is left out ("Criterion model policy" is not named by "criterion")."""
    words = issuer.split()
    forms = [issuer]
    while len(words) > 1 and words[-1].lower().strip(".,") in _ORG_WORDS:
        words = words[:-1]
        form = " ".join(words)
        if len(words) == 1 and zipf(form) >= EVERYDAY_ZIPF:
            break
        forms.append(form)
    return forms


class PayerReader:
    """Finds the plan a request names, given the issuers of the index's policies."""

    def __init__(self, policy_issuers: Iterable[str]):
        groups, case_sensitive = _payer_groups()
        self.issuers = sorted({i.strip() for i in policy_issuers if i and i.strip()})
        by_form: dict[str, tuple[str, str | None]] = {}  # spelling (lower) → (name, index issuer)
        sensitive: set[str] = set(case_sensitive)
        for issuer in self.issuers:
            for form in short_forms(issuer):
                by_form.setdefault(form.lower(), (issuer, issuer))
                if form != issuer and min(map(zipf, form.split())) >= RARE_ZIPF:
                    sensitive.add(form)  # a short form made of words counts only as the issuer writes it
        for group in groups:
            issuer = next((by_form[s.lower()][1] for s in group if s.lower() in by_form), None)
            for spelling in group:
                by_form.setdefault(spelling.lower(), (issuer or group[0], issuer))
        self._by_form = by_form
        self._sensitive = {s.lower(): s for s in sensitive}
        alternatives = sorted(by_form, key=len, reverse=True)
        self._pattern = re.compile(r"(?<![\w-])(" + "|".join(re.escape(a) for a in alternatives) + r")(?![\w-])", re.I) \
            if alternatives else None

    def find(self, text: str, *, any_case: bool = False) -> tuple[str, str, str | None] | None:
        """(written, name, issuer) of the first plan named in ``text`` (``any_case``: a field that
        only names a plan, where "cigna" cannot be anything else)."""
        if not text or self._pattern is None:
            return None
        for m in self._pattern.finditer(text):
            written = m.group(1)
            exact = self._sensitive.get(written.lower())
            if exact is not None and written != exact and not any_case:
                continue
            name, issuer = self._by_form[written.lower()]
            return written, name, issuer
        return None

    def named(self, question: str, patient: str | None = None, payer: str | None = None) -> PlanNamed | None:
        """The plan the request is about: the ``payer`` field first, then the question, then the record."""
        if payer and payer.strip():
            found = self.find(payer.strip(), any_case=True)
            if found is not None:
                return PlanNamed(found[1], payer.strip(), "request", found[2])
            return PlanNamed(payer.strip(), payer.strip(), "request", None)
        for where, text in (("question", question), ("patient record", patient or "")):
            found = self.find(text)
            if found is not None:
                return PlanNamed(found[1], found[0], where, found[2])
        return None
