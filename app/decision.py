"""The verdict, derived from the statements it stands on. Every branch records the sentences it
used, so each verdict can be explained by its sources.

- Nothing relevant retrieved (or not English) → ``cannot_answer``.
- Coverage question → the top-ranked current policy: an exclusion or experimental statement
  matching the request → ``no``; otherwise the best-matching indication's criteria, checked fact
  by fact → ``no`` (a criterion not met), ``yes`` (met), ``conditional`` (no patient facts or
  criteria left undocumented).
- "Should…/Is … recommended" → the stance of the best-matching statements.
- "What/When/How…" → ``informational``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from app.criteria import CriterionLine, Evaluation, evaluate, parse_criteria
from app.index import Index
from app.retrieval import Hit, Hits
from app.statements import GENERIC_STEMS, NEGATIVE, POSITIVE, Sentence, is_disagreement, overlap, split_chunk, stems
from app.criteria import _NEGATION, _numeric, population_numbers
from app.understanding import DECIMAL, Frame, extract_regimen, roman_to_digits
from app.vocabulary import canonical, expand, synonym_terms

_GENERIC_STEMS = GENERIC_STEMS | stems("considered medically necessary covered experimental investigational unproven not excluded")
_DRUG_LIKE = re.compile(r"(?:olol|alol|pril|sartan|tide|mab|nib|parin|xaban|gatran|statin|dipine|azole|cycline|floxacin|mycin|vir|prazole|tropin|lukast|semide|thiazide|zepam|oxetine|afaxine|triptan|gepant)$")

MIN_TOPIC_COVERAGE = 0.5
# above min_similarity by this much, the nearest passage vouches for a question whose own words the
# passages barely use ("Is it time to start an ESA for his anemia?", the topic in the record)
DENSE_SURE_MARGIN = 0.10
EVERYDAY_ZIPF = 4.0  # wordfreq's Zipf scale: 4 = once per 10^5 words of everyday English ("knee", "worth")
EVERYDAY_WEIGHT = 0.25
YES_SHARE = 0.6  # share of criteria that must be documented as met (none failed) for "yes"


@dataclass
class Decision:
    verdict: str
    reason: str | None = None
    deciding: list[Sentence] = field(default_factory=list)
    criteria: list[tuple[CriterionLine, Evaluation, Sentence | None]] = field(default_factory=list)
    regimen_checks: list[tuple[str, Evaluation, Sentence]] = field(default_factory=list)
    primary_document: str | None = None
    indication: str | None = None

    def cited_chunks(self) -> list:
        """Chunks the decision quotes (the indication's whole section, the exclusion it applied):
        retrieved by section expansion, so they are part of what the answer may cite."""
        seen, out = set(), []
        sentences = list(self.deciding) + [s for _, _, s in self.criteria if s is not None]
        for s in sentences:
            if s.chunk.chunk_id not in seen:
                seen.add(s.chunk.chunk_id)
                out.append(s.chunk)
        return out


@lru_cache(maxsize=65536)
def is_everyday_word(word: str) -> bool:
    """A common word of everyday English (by wordfreq's bundled frequency lists)."""
    from wordfreq import zipf_frequency

    return zipf_frequency(word, "en") >= EVERYDAY_ZIPF


def topic_coverage(frame: Frame, hits: list[Hit], index: Index) -> float:
    """IDF-weighted share of the question's topic words found in the top passages; a word the
    corpus never uses weighs most, so 'gout' missing says more than 'acute' present. A word of
    everyday English ("just found out", "worth a couple of minutes") weighs a quarter: guidelines
    rarely use it, so its IDF is high, yet its absence says nothing about the topic."""
    common = {w for t in frame.topic_words if is_everyday_word(t) for w in stems(t)}
    words = stems(" ".join(frame.topic_words))
    aliases = stems(" ".join(re.findall(r"\(([^)]*)\)", frame.question)))
    if words - aliases:
        words = words - aliases  # "benralizumab (Fasenra)": the brand in brackets is another name, not more topic
    if not words:
        return 0.0
    seen: set[str] = set()
    for hit in hits[:5]:
        seen |= stems(f"{hit.chunk.title} {hit.chunk.section} {hit.chunk.text}")
    idf = index.word_idf
    top = max(idf.values(), default=1.0) + 1.0

    def weight(w: str) -> float:
        return idf.get(w, top) * (EVERYDAY_WEIGHT if w in common else 1.0)

    return sum(weight(w) for w in words & seen) / sum(weight(w) for w in words)


def _query_words(frame: Frame) -> frozenset[str]:
    return stems(" ".join(frame.topic_words + frame.terms))


_AGE_RANGE = re.compile(
    r"(?:aged?\s+)?(\d{1,3})\s*(?:to|-|–|through)\s*(\d{1,3})\s*(?:years)?|(\d{1,3})\s*years?\s*(?:or|and)\s*older|"
    r"older than\s*(\d{1,3})|younger than\s*(\d{1,3})|(?:aged?|ages)\s*(\d{1,3})\s*(?:years)?\s*(?:or|and)\s*(?:older|above)",
    re.I,
)


_NEVER_SMOKED = re.compile(r"never smoked|never smokers?|non-?smokers?|never used tobacco|no (?:history of )?smoking", re.I)
_EVER_SMOKED = re.compile(r"(?<!never )\b(?:ever smoked|have smoked|has smoked|current or former smokers?|former smokers?|"
                          r"currently smoke|who smoke|smoking history|pack-years?)", re.I)


def _smoking(record: str) -> str | None:
    """'never' or 'ever' from the record's words, None when it does not say."""
    if _NEVER_SMOKED.search(record):
        return "never"
    if _EVER_SMOKED.search(record) or re.search(r"\bsmoker\b|\bsmokes\b|quit smoking", record, re.I):
        return "ever"
    return None


def population_fits(text: str, frame: Frame) -> bool:
    """False when the statement's population (an age band, a sex) excludes the patient:
    the band that contains 81 years, not the 50–75 one."""
    age, sex = frame.facts.age, frame.facts.sex
    if age is not None:
        for m in _AGE_RANGE.finditer(text):
            lo, hi, older, older_than, younger_than, aged_older = m.groups()
            if lo and hi and not (float(lo) <= age <= float(hi)) and float(hi) > float(lo) and float(hi) <= 120:
                return False
            if (older or aged_older) and age < float(older or aged_older):
                return False
            if older_than and age <= float(older_than):
                return False
            if younger_than and age >= float(younger_than):
                return False
    smoking = _smoking(frame.facts.text)
    if smoking is not None:
        low = text.lower()
        never, ever = bool(_NEVER_SMOKED.search(low)), bool(_EVER_SMOKED.search(low))
        if (smoking == "never" and ever and not never) or (smoking == "ever" and never and not ever):
            return False  # "men who have ever smoked" is not about a man who never smoked
    if sex:
        low = f" {text.lower()} "
        other = (" men ", " male", " males ") if sex == "female" else (" women ", " female", " pregnant ")
        own = (" women ", " female", " pregnan") if sex == "female" else (" men ", " male")
        if any(o in low for o in other) and not any(o in low for o in own):
            return False
    return True


DOC_RANK_PENALTY = 0.1  # per document ahead in retrieval order: the top document's statements come first


def _best_sentences(frame: Frame, hits: list[Hit], limit: int = 6, doc: str | None = None) -> list[Sentence]:
    words = _query_words(frame)
    scored = []
    doc_rank = {d: i for i, d in enumerate(dict.fromkeys(h.chunk.document_id for h in hits))}
    for rank, hit in enumerate(hits):
        if doc and hit.chunk.document_id != doc:
            continue
        heading = hit.chunk.section.split(" > ")[-1] if hit.chunk.section else ""
        if not population_fits(heading, frame):
            continue  # a section for another population
        for s in split_chunk(hit.chunk):
            if not population_fits(s.text, frame):
                continue
            score = overlap(words, s.text) + overlap(words, hit.chunk.section) * 0.3 - rank * 0.02 \
                - DOC_RANK_PENALTY * doc_rank[hit.chunk.document_id]
            scored.append((score, s))
    scored.sort(key=lambda x: -x[0])
    return [s for score, s in scored[:limit] if score > 0]


def _grade_line(s: Sentence) -> Sentence | None:
    """The grade statement ("Grade: C.") of the section a sentence sits in, when it has one."""
    for other in split_chunk(s.chunk):
        if re.match(r"grade:?\s*[abcdi]\b", other.text, re.I):
            return other
    return None


def _document_sections(index: Index, document_id: str) -> dict[str, list]:
    sections: dict[str, list] = {}
    for cid in index.document_chunks.get(document_id, []):
        chunk = index.chunks[cid]
        sections.setdefault(chunk.section, []).append(chunk)
    return sections


def _indication(frame: Frame, index: Index, document_id: str):
    """The policy's criteria section that best matches the question and patient. The policy's own
    subject (its title, with synonyms) is the same in every section, so it does not count."""
    subject = stems(expand(index.documents.get(document_id, {}).get("title", "")))
    qwords = _query_words(frame) - subject - _GENERIC_STEMS
    pwords = stems(frame.facts.text) - subject - _GENERIC_STEMS
    best, best_score = None, 0.0
    continuation = bool(_CONTINUATION.search(frame.question))
    for section, chunks in _document_sections(index, document_id).items():
        low = section.lower()
        if continuation and "continuation" in low:
            return section, chunks  # a reauthorization is judged on the continuation criteria
        if "medical necessity" not in low or low.endswith("medical necessity criteria"):
            continue
        heading = section.split(" > ")[-1]
        text = "\n".join(c.text for c in chunks)
        score = (2 * overlap(qwords, heading) + overlap(qwords, text)
                 + overlap(pwords, heading) + 2 * overlap(pwords, text) + 1e-3)
        if frame.regimen.ongoing and re.search(r"maintenance|long-term", heading, re.I):
            score += 0.6
        if score > best_score:
            best, best_score = (section, chunks), score
    return best


def _sentence_for(text: str, chunks) -> Sentence | None:
    """The quotable sentence of a criterion line (its first sentence, located in a chunk)."""
    key = re.sub(r"\s+", " ", text.strip())[:30]
    for chunk in chunks:
        for s in split_chunk(chunk):
            candidate = re.sub(r"\s+", " ", s.text)
            if candidate.startswith(key) or key.startswith(candidate[:30]):
                return s
    return None


_CONTINUATION = re.compile(r"continu|reauthori|renew|second course|repeat|again|retreat|another course|re-treat", re.I)
_NUMBERED = re.compile(DECIMAL + r"\s*(?:%|mg|g/kg|units?|ml|kg/m|events|cells|ng/dl|mg/dl|mm ?hg|points?|sessions?|hours?|days?|weeks?|months?)", re.I)


def _affirmed_words(text: str) -> set[str]:
    """Stems that occur in clauses of the record that are not negated."""
    out: set[str] = set()
    for clause in re.split(r"[.;,\n]", text.lower()):
        if not _NEGATION.search(clause):
            # 'Guillain-Barré syndrome' also names GBS (a term's group name, not its siblings:
            # sofosbuvir is a DAA, not glecaprevir)
            out |= stems(" ".join([clause] + [canonical(t) for t in synonym_terms(clause)]))
    return out


def _join_kinds(text: str) -> str:
    """'type 1 diabetes' → 'type1 diabetes', so type 1 and type 2 are different words."""
    return re.sub(r"\b(type|grade|class|stage|level)\s+(\d+)", r"\1\2", text, flags=re.I)


def _segment_score(text: str, title_words, asked) -> float | None:
    """How fully the request names one item of an exclusion ("IVIG for A, B or C is ..."): the
    best share of an item's specific words found in the request."""
    body = re.sub(r"\([^)]*\)", " ", _join_kinds(text))
    body = re.sub(r"\b(?:is|are) (?:considered |not ).*$", " ", body)  # drop the predicate
    segments = re.split(r",|\bor\b|\band\b", body)
    best = None
    for seg in segments:
        specific = {w for w in stems(seg) - title_words - _GENERIC_STEMS
                    if not any(ch.isdigit() for ch in w) or re.match(r"(type|grade|class|stage|level)\d", w)}
        if not specific:
            continue
        share = len(specific & asked) / len(specific)
        best = share if best is None else max(best, share)
    return best


def _per_kg_exclusion(low: str, frame: Frame) -> bool | None:
    """For 'a course totalling less than 1 g/kg is not medically necessary': True when the
    requested total per kg falls in the excluded range, False when it does not, None when the
    statement has no per-kg limit or the request no total and weight."""
    m = re.search(r"(less than|below|under|more than|above|over|exceeding)\s+(\d+(?:\.\d+)?)\s*g/kg", low)
    if not m:
        return None
    reg, weight = frame.regimen, frame.facts.weight_kg
    if reg.per_kg and reg.dose is not None:
        per_kg = reg.dose * (reg.duration_days if reg.per_day and reg.duration_days else 1)
    elif reg.total_g is not None and weight:
        per_kg = reg.total_g / weight
    else:
        return False
    limit = float(m.group(2))
    return per_kg < limit if m.group(1) in ("less than", "below", "under") else per_kg > limit


def _count_exclusion(low: str, frame: Frame) -> bool | None:
    """'more than 6 exchanges within 14 days is not covered': True when the request asks for more."""
    from app.understanding import COUNT_UNITS, count_unit

    m = re.search(rf"(?:more than|over|beyond|exceeding|in excess of|limited to|limited to a total of|"
                  rf"no more than|up to)\s+(\d+)\s+(?:[a-z-]+\s)?({COUNT_UNITS})", low)
    if not m:
        return None
    reg = frame.regimen
    if reg.count is None or reg.count_unit != count_unit(m.group(2)):
        return False
    return reg.count > float(m.group(1))


def _interval_exclusion(low: str, frame: Frame) -> bool | None:
    """'more often than every 12 weeks is not covered': True when the requested interval is shorter."""
    m = re.search(r"(?:more often|more frequently|sooner|less than|shorter)\s+than\s+(?:every\s+)?(\d+)\s*(week|day|month)", low)
    if not m:
        return None
    if not frame.regimen.interval_days:
        return False
    limit = int(m.group(1)) * {"day": 1, "week": 7, "month": 30}[m.group(2)]
    return frame.regimen.interval_days < limit


def _other_value(low: str, frame: Frame) -> bool:
    """True when the statement lists values of a quantity the patient has, and not the patient's."""
    from app.understanding import QUANTITIES

    text = roman_to_digits(low)
    for name, label in QUANTITIES.items():
        value = frame.facts.numbers.get(name)
        if value is None:
            continue
        m = re.search(rf"(?<![a-z])(?:{label})(?![a-z])", text)
        if not m:
            continue
        window = text[m.end(): m.end() + 40]
        if re.search(r"≥|≤|<|>|at least|more than|less than|or (?:more|higher|less|lower)", window):
            continue
        listed = [float(x) for x in re.findall(r"(?:grade |class |stage )?(\d+(?:\.\d+)?)", window)]
        if listed and value not in listed:
            return True
    return False


_NEGATIVE_PREDICATE = re.compile(r"\bnot (?:medically necessary|covered)\b|experimental|investigational|unproven|excluded", re.I)


def _main_clause(text: str) -> str:
    """The clause that carries an exclusion's predicate: 'A routine second IVIG course in GBS is
    not medically necessary; retreatment is covered only for ...' → the part before ';'."""
    head = text.split(";")[0]
    return head if head != text and _NEGATIVE_PREDICATE.search(head) else text


def _combination_request(frame: Frame, index: Index, document_id: str) -> bool:
    """The request adds one of the policy's agents to another ('can efgartigimod be added to
    ravulizumab?'): two different named agents, both in the policy, and a word that joins them."""
    if not re.search(r"\b(?:add|added|adding|combin\w*|together|plus|on top of|along with)\b", frame.question, re.I):
        return False
    policy_text = " ".join(c.text.lower() for chunks in _document_sections(index, document_id).values() for c in chunks)
    asked = synonym_terms(f"{frame.question}\n{frame.facts.text}")
    named = {canonical(t) for t in asked if t in policy_text and canonical(t) != t}
    return len(named) >= 2


def _negative_match(frame: Frame, index: Index, document_id: str) -> Sentence | None:
    """An exclusion, limitation or experimental statement of the policy that the request hits:
    its specific words (beyond the policy's own subject) must appear, affirmed, in the question or
    patient record; a numeric exclusion applies only when the patient's number falls inside it; a
    statement about maintenance or schedules needs an ongoing regimen; one about continuation
    needs a continuation request."""
    title_words = stems(expand(index.documents.get(document_id, {}).get("title", "")))
    asked_text = f"{frame.question}\n{frame.facts.text}".lower()
    asked = _affirmed_words(_join_kinds(asked_text))
    continuation = bool(_CONTINUATION.search(frame.question))
    combined = _combination_request(frame, index, document_id)
    best, best_score = None, 0.0
    for section, chunks in _document_sections(index, document_id).items():
        if "continuation" in section.lower() and not continuation:
            continue
        for chunk in chunks:
            for s in split_chunk(chunk):
                main = _main_clause(s.text)
                low = main.lower()
                if s.stance == "limit" and _count_exclusion(low, frame):
                    return s  # "A single course is limited to a total of 36 sessions" and more are requested
                if s.stance not in NEGATIVE:
                    continue
                if combined and re.match(r"(?:the )?combination\b|.*\bnot covered together with\b", low):
                    return s  # two of the policy's agents asked for together
                if re.search(r"\b(unless|before|without|until|at least|lack|absence|outside|other than|"
                             r"instead of|in place of)\b", low) or len(s.text.split()) < 6 or s.text[0].islower():
                    continue  # restates a criterion (checked fact by fact), or a fragment of a sentence
                if re.match(r"(under|for|in) medicare\b", low) and "medicare" not in asked_text:
                    continue  # a payer-specific rule for a patient not said to be on that plan
                if _other_value(low, frame):
                    continue  # names values of a quantity ("Wagner grade I or II") the patient does not have
                if low.startswith(("continuation", "continued", "continuing")) and not continuation:
                    continue
                numeric = _numeric(roman_to_digits(main), frame.facts)
                per_kg = _per_kg_exclusion(low, frame)
                interval = _interval_exclusion(low, frame)
                counted = _count_exclusion(low, frame)
                if counted is not None:
                    interval = counted if interval is None else (interval or counted)
                if numeric is not None:
                    if numeric.status != "met":
                        continue  # the patient's number is outside the excluded range, or unknown
                elif per_kg is None and interval is None and _NUMBERED.search(low) \
                        and not re.search(r"maintenance|every \d+ weeks", low):
                    continue  # a quantity limit we cannot check against this request
                score = _segment_score(main, title_words, asked)
                if score is None:
                    continue
                if score < 0.5:
                    continue  # the request does not name what the statement excludes
                if per_kg is False or interval is False:
                    continue
                if per_kg or interval:
                    score += 0.5
                if re.search(r"maintenance|every \d+ weeks|recurring|schedule", low):
                    if not frame.regimen.ongoing:
                        continue
                    score += 0.5
                if numeric is not None:
                    score += 0.5
                if score > best_score:
                    best, best_score = s, score
    return best if best_score >= 0.75 else None


def decide(frame: Frame, hits: Hits, index: Index, has_patient: bool,
           min_similarity: float | None = None) -> Decision:
    if not frame.language_ok:
        return Decision("cannot_answer", "not_english")
    if not hits:
        return Decision("cannot_answer", "not_in_corpus")
    unnamed = [t for t in frame.terms if canonical(t) not in index.term_groups]
    if unnamed:  # "continuous glucose monitor" in no document, under any of its names
        return Decision("cannot_answer", "not_in_corpus")
    named = stems(expand(" ".join(frame.terms))) - _GENERIC_STEMS  # a known term, in any spelling, the top passages use
    top_words = stems(" ".join(f"{h.chunk.title} {h.chunk.text}" for h in hits[:3]))
    coverage = topic_coverage(frame, hits, index)
    # the nearest vector among all dense candidates, not only the kept hits (0 when none was fetched)
    best_sim = None if min_similarity is None else hits.best_dense or 0.0
    dense_unsure = best_sim is None or best_sim < min_similarity + DENSE_SURE_MARGIN
    if coverage < MIN_TOPIC_COVERAGE and not (named & top_words) and dense_unsure:
        return Decision("cannot_answer", "not_in_corpus")
    if best_sim is not None:  # the dense side agrees nothing is close (real embedders only)
        # a known term of the question is in the top passages, with some of the rest of its topic
        named_found = bool(named & top_words) and coverage >= 0.3
        if best_sim < min_similarity - 0.07 or (best_sim < min_similarity and coverage < 0.6 and not named_found):
            return Decision("cannot_answer", "not_in_corpus")

    policy = _primary_policy(frame, hits, index)
    if frame.kind == "coverage" and policy is not None:
        return _coverage(frame, hits, index, policy, has_patient)
    top_is_policy = hits[0].chunk.doc_type == "policy"
    asked = extract_regimen(frame.question)  # the question's own request, not the record's doses
    asks_regimen = asked.dose is not None or asked.count is not None
    if frame.kind == "clinical" and policy is not None and not _RECOMMEND.search(frame.question) and (
            asks_regimen or asked.interval_days or (top_is_policy and has_patient)):
        # "Can X be given every 8 weeks for this patient?" is a coverage question in a policy's terms
        return _coverage(frame, hits, index, policy, has_patient)
    if frame.kind == "informational":
        return Decision("informational", deciding=_best_sentences(frame, hits))
    best = _best_sentences(frame, hits, limit=4)
    if has_patient and best and best[0].chunk.doc_type == "policy" and best[0].chunk.status == "current" \
            and _CRITERIA_LEAD.search(best[0].text):
        # the closest statement is a policy's "covered when ALL of the following": judge by its criteria
        return _coverage(frame, hits, index, best[0].chunk.document_id, has_patient)
    return _clinical(frame, hits, index, best)


_CRITERIA_LEAD = re.compile(r"when (?:all|any) of the following", re.I)
_RECOMMEND = re.compile(r"\brecommend", re.I)  # "is X recommended": a guideline question, even with a dose


def disagreement_score(words: frozenset[str], chunk) -> float:
    """How much a disagreement passage is about the question: its text, and (half as much) its
    document's title, so the IVIG evidence review outranks a plasma-exchange review that also
    mentions IVIG."""
    return overlap(words, f"{chunk.section} {chunk.text}") + 0.5 * overlap(words, chunk.title)


def disagreements(frame: Frame, hits: list[Hit], index: Index, limit: int = 2) -> list:
    """'Where sources disagree' passages about the question's topic, from any indexed document,
    best first: the answer surfaces the disagreement even when retrieval favoured the policy."""
    words = _query_words(frame) - _GENERIC_STEMS
    if not words:
        return []
    retrieved = {h.chunk.document_id for h in hits}
    scored = []
    for chunk in index.disagreement_chunks:
        if overlap(words, chunk.text) < 0.5:
            continue
        score = disagreement_score(words, chunk) + (0.2 if chunk.document_id in retrieved else 0.0)
        if score >= 0.5:
            scored.append((score, chunk.chunk_id, chunk))
    scored.sort(key=lambda x: (-x[0], x[1]))
    return [chunk for _, _, chunk in scored[:limit]]


def _primary_policy(frame: Frame, hits: list[Hit], index: Index) -> str | None:
    """The current policy the question is about: retrieval rank, plus how well the question's own
    words (not their synonym expansion) match the policy's title and topics."""
    qwords = stems(frame.question)
    best, best_score = None, -1.0
    for rank, hit in enumerate(hits):
        c = hit.chunk
        if c.doc_type != "policy" or c.status != "current":
            continue
        meta = index.documents.get(c.document_id, {})
        label = f"{meta.get('title', c.title)} {' '.join(meta.get('topics', []))}"
        score = 1.0 / (rank + 1) + 2.0 * overlap(qwords - _GENERIC_STEMS, label)
        if score > best_score:
            best, best_score = c.document_id, score
    return best


def _coverage(frame: Frame, hits: list[Hit], index: Index, policy: str, has_patient: bool) -> Decision:
    negative = _negative_match(frame, index, policy)
    found = _indication(frame, index, policy)
    decision = Decision("conditional", primary_document=policy)
    exception = negative is not None and bool(re.search(r"\bexcept\b", negative.text, re.I))
    if exception and found and not re.search(r"exception|maintenance|long-term|refractory",
                                             found[0].split(" > ")[-1], re.I):
        negative = None  # "not covered except ..." concerns the exception, not another covered indication
    if found:
        section, chunks = found
        decision.indication = section
        lines: list[str] = []
        for c in sorted(chunks, key=lambda c: c.ordinal):
            lines += [line for line in c.text.split("\n") if line not in lines]  # chunk overlap repeats lines
        lead, items = parse_criteria("\n".join(lines))
        if lead:
            decision.deciding.append(_sentence_for(lead, chunks))
        for item in items:
            ev = evaluate(item, frame.facts, frame.regimen, index.word_idf)
            decision.criteria.append((item, ev, _sentence_for(item.text, chunks)))
    decision.deciding = [s for s in decision.deciding if s]
    statuses = [ev.status for _, ev, _ in decision.criteria if ev.status != "not_applicable"]
    if negative is not None:
        decision.deciding.insert(0, negative)
        # "X is not covered except when ...": the exception's criteria must all be met
        decision.verdict = "yes" if exception and statuses and all(st == "met" for st in statuses) else "no"
        return decision
    if not statuses:
        decision.deciding += _best_sentences(frame, hits, 3, doc=policy)
        decision.verdict = "conditional"
    elif "not_met" in statuses:
        decision.verdict = "no"
    elif not has_patient and not frame.facts.numbers and frame.regimen.dose is None:
        decision.verdict = "conditional"
    elif statuses.count("met") >= max(1, round(YES_SHARE * len(statuses))):
        decision.verdict = "yes"
    else:
        decision.verdict = "conditional"
    return decision


_DIGIT = re.compile(r"\d")
_POPULATION_SECTION = re.compile(r"scope|who\b|population|eligib|indication|candidate|recommend", re.I)


def _populations(frame: Frame, hits: list[Hit], index: Index) -> list[str]:
    """How the patient's numbers (BMI, AHI, ...) fare against the populations the top guideline's
    scope and recommendation sentences state ('adults with BMI ≥ 30 kg/m², or ≥ 27 kg/m² with a
    comorbidity'): met / not_met / not_documented for each sentence that states one."""
    if not frame.facts.numbers or not hits or hits[0].chunk.doc_type != "guideline":
        return []
    out = []
    for section, chunks in _document_sections(index, hits[0].chunk.document_id).items():
        if not _POPULATION_SECTION.search(section):
            continue
        for chunk in chunks:
            for s in split_chunk(chunk):
                if s.stance in NEGATIVE or not _DIGIT.search(s.text):
                    continue
                found = population_numbers(s.text, frame.facts)
                if found is not None:
                    out.append(found)
    return out


def _age_band_statements(frame: Frame, hits: list[Hit], index: Index) -> list[Sentence]:
    """Statements of the top documents whose stated age band contains the patient's age and that
    take a stance ('screening adults aged 76 to 85 years should be an individual one'), best first:
    the band that holds 81 years, whether or not retrieval surfaced its passage."""
    age = frame.facts.age
    if age is None:
        return []
    words = _query_words(frame)
    docs = list(dict.fromkeys(h.chunk.document_id for h in hits if h.chunk.doc_type == "guideline"))[:2]
    found = []
    for rank, doc in enumerate(docs):
        for chunks in _document_sections(index, doc).values():
            for chunk in chunks:
                for s in split_chunk(chunk):
                    if s.stance in ("neutral", "limit") or not _DIGIT.search(s.text):
                        continue
                    bands = [m for m in _AGE_RANGE.finditer(s.text) if m.group(1) and m.group(2) or m.group(3) or m.group(6)]
                    if not bands or not population_fits(s.text, frame):
                        continue
                    score = overlap(words, s.text) - 0.1 * rank
                    if score >= 0.4:
                        found.append((score, s))
    found.sort(key=lambda x: -x[0])
    return [s for _, s in found]


def _clinical(frame: Frame, hits: list[Hit], index: Index, closest: list[Sentence]) -> Decision:
    """A guideline question, from ``closest`` (the statements nearest the question, best first)."""
    banded = _age_band_statements(frame, hits, index)[:1]
    best = banded + [s for s in closest if not banded or s.text != banded[0].text][:3]
    decision = Decision("informational", deciding=best)
    if not best:
        return Decision("insufficient_evidence", "no statement addresses the question", deciding=[])
    # an intervention named in the question that no retrieved passage mentions: not settled
    mentioned = stems(" ".join(h.chunk.text for h in hits))
    unknown = [w for w in frame.topic_words if _DRUG_LIKE.search(w) and not (stems(w) & mentioned)]
    grade = next((g for g in (_grade_line(s) for s in best[:2]) if g is not None), None)
    if grade is not None:  # a graded recommendation for this population decides (USPSTF A/B/C/D/I)
        decision.deciding.insert(0, grade)
        best = [grade] + best
    stances = [s.stance for s in best[:4]]
    # a recommendation whose numbers (BMI ≥ 30, or ≥ 27 with a comorbidity) the patient does not reach
    populations = _populations(frame, hits, index)
    if grade is None and populations and "met" not in populations:
        decision.verdict = "no" if all(p == "not_met" for p in populations) else "conditional"
        decision.reason = "the patient is outside the recommendation's population" if decision.verdict == "no" else None
        return decision
    if any(is_disagreement(s.chunk.section) for s in best[:3]) and not all(st in NEGATIVE for st in stances[:2]):
        decision.verdict, decision.reason = "conditional", "the sources disagree"
        return decision
    fits_population = grade is None and "met" in populations and not any(s in NEGATIVE for s in stances[:2])
    if grade is not None and grade.stance == "individual":
        decision.verdict = "conditional"
    elif unknown and frame.kind == "clinical":
        decision.verdict, decision.reason = "insufficient_evidence", f"the sources do not address: {', '.join(unknown)}"
    elif "insufficient" in stances[:2]:
        decision.verdict, decision.reason = "insufficient_evidence", "the sources find the evidence insufficient"
    elif "individual" in stances[:3] and not any(s in NEGATIVE | POSITIVE for s in stances[:stances.index("individual")]):
        decision.verdict = "conditional"  # "the decision to screen at 76 to 85 should be an individual one"
    elif any(s in NEGATIVE for s in stances[:2]):
        decision.verdict = "no"
    elif any(s in POSITIVE for s in stances) or fits_population:
        decision.verdict = "yes"
    elif frame.kind == "clinical":
        decision.verdict = "informational"
    return decision
