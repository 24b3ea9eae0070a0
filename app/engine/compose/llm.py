"""The optional LLM composer: a LangChain chat model writes the structured answer from the same
numbered passages the extractive composer uses, and every citation it gives is checked here.

A citation survives only if its passage number exists and its quote is an exact span of that
passage (a quote that differs only in whitespace is replaced by the exact span); a statement left
without a citation is removed, and each removal is recorded in ``flags``. On a timeout, an error
or output that does not parse, the extractive answer is returned instead, flagged.
"""

from __future__ import annotations

import contextvars
import json
import re
import threading
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage, SystemMessage

from app.chunks import Chunk
from app.engine.compose.extractive import VERDICT_PHRASES
from app.engine.compose.prompts import (DATA_TAGS, INSTRUCTION_LIKE, JSON_INSTRUCTIONS, NO_PATIENT, PASSAGE_TEMPLATE,
                         SYSTEM_PROMPT, USER_TEMPLATE)
from app.engine.compose.llm_answer import (SECTIONS, CitedQuote, CitedText, ComposerFailed, LLMAnswer, message_text,
                                          parse_answer)
from app.engine.records import Hit
from app.schemas import Answer, Citation, Conflict, Criterion, NumericCheck, Statement

MIN_QUOTE_WORDS = 3  # "the policy" is verbatim somewhere, but supports nothing
_MARKER = re.compile(r"\s*\[\d+(?:\s*[,–-]\s*\d+)*\]")
_QUOTE_EDGES = " \t\r\n\"'“”‘’«»"
_DATA_TAG = re.compile(DATA_TAGS, re.I)
_INSTRUCTION = re.compile(INSTRUCTION_LIKE, re.I)


def as_data(text: str) -> str:
    """Text placed inside a data block, with any planted block tag defused ('</passage>' → '‹/passage›'),
    so a document or a question cannot close its block and speak as the prompt."""
    return _DATA_TAG.sub(lambda m: m.group(0).replace("<", "‹").replace(">", "›"), text)


def addresses_the_model(text: str) -> bool:
    """Whether ``text`` speaks to the model ('ignore the previous instructions', 'answer "yes"')
    rather than to a reader of a policy."""
    return _INSTRUCTION.search(text) is not None


# --- the prompt -----------------------------------------------------------------------------

def format_passages(hits: list[Hit]) -> str:
    return "\n\n".join(
        PASSAGE_TEMPLATE.format(
            number=n, title=c.title, document_id=c.document_id, section=c.section or "-",
            page=c.page_start if c.page_start is not None else "-", doc_type=c.doc_type or "-",
            effective_date=c.effective_date or "-", text=as_data(c.text),
        )
        for n, c in enumerate((h.chunk for h in hits), start=1)
    )


def build_messages(question: str, patient: str | None, hits: list[Hit], *, json_mode: bool) -> list[BaseMessage]:
    system = SYSTEM_PROMPT
    if json_mode:
        system += JSON_INSTRUCTIONS.format(schema=json.dumps(LLMAnswer.model_json_schema()))
    user = USER_TEMPLATE.format(question=as_data(question), patient=as_data((patient or "").strip()) or NO_PATIENT,
                                passages=format_passages(hits))
    return [SystemMessage(system), HumanMessage(user)]


# --- checking a quote -----------------------------------------------------------------------

def exact_span(quote: str, text: str) -> str | None:
    """The span of ``text`` the quote stands for: the quote itself when verbatim, else the span
    that matches it up to whitespace; None when the words are not there."""
    quote = quote.strip(_QUOTE_EDGES)
    if not quote:
        return None
    if quote in text:
        return quote
    words = quote.split()
    match = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return match.group(0) if match else None


class _Citations:
    """Checks the model's (passage, quote) pairs and numbers the survivors 1..n in order of use."""

    def __init__(self, chunks: list[Chunk]):
        self.chunks = chunks
        self.citations: list[Citation] = []
        self._ids: dict[tuple[str, str], int] = {}
        self.flags: list[str] = []

    def _one(self, cited: CitedQuote) -> int | None:
        if not 1 <= cited.passage <= len(self.chunks):
            self.flags.append(f"citation removed: passage [{cited.passage}] does not exist "
                              f"(there are {len(self.chunks)} passages)")
            return None
        chunk = self.chunks[cited.passage - 1]
        span = exact_span(cited.quote, chunk.text)
        if span is None:
            self.flags.append(f"citation removed: quote is not in passage [{cited.passage}]: {cited.quote[:80]!r}")
            return None
        if addresses_the_model(span):
            self.flags.append(f"citation removed: the quote from passage [{cited.passage}] speaks to the model, "
                              "not to a reader of the policy")
            return None
        if len(span.split()) < MIN_QUOTE_WORDS:
            self.flags.append(f"citation removed: quote from passage [{cited.passage}] is too short: {span!r}")
            return None
        key = (chunk.chunk_id, span)
        if key not in self._ids:
            self._ids[key] = len(self.citations) + 1
            self.citations.append(Citation(
                id=self._ids[key], document_id=chunk.document_id, chunk_id=chunk.chunk_id, title=chunk.title,
                section=chunk.section, page=chunk.page_start, quote=span, source=chunk.source,
                effective_date=chunk.effective_date, doc_type=chunk.doc_type,
            ))
        return self._ids[key]

    def ids(self, cited: list[CitedQuote]) -> list[int]:
        out: list[int] = []
        for c in cited:
            i = self._one(c)
            if i is not None and i not in out:
                out.append(i)
        return out

    def statements(self, items: list[CitedText], where: str) -> list[Statement]:
        out = []
        for item in items:
            ids = self.ids(item.citations)
            if ids:
                out.append(Statement(text=_clean(item.text), citations=ids))
            else:
                self.flags.append(f"{where} statement removed (no valid citation): {item.text[:80]}")
        return out


def _clean(text: str) -> str:
    """The model's words without any [n] markers of its own (passage numbers are not citation ids)."""
    return _MARKER.sub("", text).strip()


# --- the composer ---------------------------------------------------------------------------


class LLMComposer:
    """Composes the answer with a chat model; falls back to the extractive answer it is given."""

    def __init__(self, chat_model: BaseChatModel, timeout_s: float = 30.0):
        self.chat_model = chat_model
        self.timeout_s = timeout_s
        self.name = f"llm:{model_name(chat_model)}"
        self._structured = _structured(chat_model)

    def compose(self, question: str, patient: str | None, hits: list[Hit], fallback: Answer) -> Answer:
        try:
            parsed = self._run(question, patient, hits)
            return self._to_answer(question, parsed, [h.chunk for h in hits], fallback)
        except Exception as exc:  # any failure of the optional path → the extractive answer
            reason = str(exc) if isinstance(exc, (ComposerFailed, TimeoutError)) else f"{type(exc).__name__}: {exc}"
            answer = fallback.model_copy(deep=True)
            answer.flags.append(f"llm composer failed: {reason[:300]}; extractive answer used")
            return answer

    # the call, with a deadline ---------------------------------------------------------------

    def _run(self, question: str, patient: str | None, hits: list[Hit]) -> LLMAnswer:
        if self._structured is not None:
            out = self._call(self._structured, build_messages(question, patient, hits, json_mode=False))
            if out.get("parsed") is not None:
                return out["parsed"]
            raw = out.get("raw")
            text = message_text(raw) if raw is not None else ""
            if not text.strip():  # no tool call and no text to fall back on
                raise ComposerFailed(f"invalid structured output ({out.get('parsing_error')})")
            return parse_answer(text)
        message = self._call(self.chat_model, build_messages(question, patient, hits, json_mode=True))
        return parse_answer(message_text(message))

    def _call(self, runnable, messages: list[BaseMessage]):
        """Invokes in a daemon thread and waits at most ``timeout_s``; a call still running after
        that is abandoned (the model's own timeout, set by the factory, ends it)."""
        box: dict[str, Any] = {}

        def work():
            try:
                box["result"] = runnable.invoke(messages)
            except BaseException as exc:  # noqa: BLE001 — re-raised in the caller's thread
                box["error"] = exc

        thread = threading.Thread(target=contextvars.copy_context().run, args=(work,),
                                  name="llm-composer", daemon=True)
        thread.start()
        thread.join(self.timeout_s)
        if thread.is_alive():
            raise TimeoutError(f"timed out after {self.timeout_s:g} s")
        if "error" in box:
            raise box["error"]
        return box["result"]

    # the model's answer → our Answer -----------------------------------------------------------

    def _to_answer(self, question: str, parsed: LLMAnswer, chunks: list[Chunk], fallback: Answer) -> Answer:
        planted = [n for n, c in enumerate(chunks, start=1) if addresses_the_model(c.text)]
        if planted and parsed.verdict != fallback.verdict:
            # a passage tried to steer the model, and the model's verdict departs from the rules': trust neither
            raise ComposerFailed(f"passage {', '.join(f'[{n}]' for n in planted)} holds text addressed to the model "
                                 f"and the model's verdict ({parsed.verdict}) differs from the rules' ({fallback.verdict})")
        cites = _Citations(chunks)
        summary_ids = cites.ids(parsed.summary.citations)
        criteria = []
        for c in parsed.criteria:
            ids = cites.ids(c.citations)
            if ids:
                criteria.append(Criterion(text=_clean(c.text), status=c.status, detail=_clean(c.detail), citations=ids))
            else:
                cites.flags.append(f"criterion removed (no valid citation): {c.text[:80]}")
        checks = []
        for n in parsed.numeric_checks:
            ids = cites.ids(n.citations)
            if ids:
                checks.append(NumericCheck(quantity=n.quantity, requested=n.requested, limit=n.limit,
                                           within_limit=n.within_limit, citations=ids))
            else:
                cites.flags.append(f"numeric check removed (no valid citation): {n.quantity[:80]}")
        sections = {title: kept for field, title in SECTIONS.items()
                    if (kept := cites.statements(getattr(parsed, field), title))}
        conflicts = []
        for conflict in parsed.conflicts:
            positions = cites.statements(conflict.positions, f"conflict '{conflict.topic[:40]}'")
            if len(positions) >= 2:
                conflicts.append(Conflict(topic=_clean(conflict.topic), positions=positions))
            else:
                cites.flags.append(f"conflict removed (fewer than two supported positions): {conflict.topic[:80]}")

        abstains = parsed.verdict in ("cannot_answer", "insufficient_evidence")
        if not cites.citations and not abstains:
            raise ComposerFailed(f"none of the model's citations verified ({'; '.join(cites.flags[:3]) or 'none given'})")
        summary = _clean(parsed.summary.text)
        if summary_ids:
            summary += " " + "".join(f"[{i}]" for i in summary_ids)
        elif not abstains:  # the model's own words stand on nothing: say only the verdict
            cites.flags.append(f"summary replaced (no valid citation): {summary[:80]}")
            summary = VERDICT_PHRASES[parsed.verdict] + "."
        return Answer(
            question=question, verdict=parsed.verdict, reason=parsed.reason, summary=summary,
            criteria=criteria, numeric_checks=checks, sections=sections,
            missing_information=[m.strip() for m in parsed.missing_information if m.strip()],
            conflicts=conflicts, citations=cites.citations, retrieved=fallback.retrieved,
            understood=fallback.understood, composer=self.name, flags=cites.flags,
        )


# --- helpers --------------------------------------------------------------------------------

def model_name(chat_model: BaseChatModel) -> str:
    for attr in ("model_name", "model", "model_id"):
        value = getattr(chat_model, attr, None)
        if isinstance(value, str) and value:
            return value
    return getattr(chat_model, "_llm_type", type(chat_model).__name__)


def _structured(chat_model: BaseChatModel):
    """The model bound to :class:`LLMAnswer` by tool calling (the form OpenAI-compatible servers
    support most widely), or None when the model cannot call tools (then JSON in the text)."""
    for kwargs in ({"method": "function_calling"}, {}):
        try:
            return chat_model.with_structured_output(LLMAnswer, include_raw=True, **kwargs)
        except NotImplementedError:
            return None
        except (TypeError, ValueError):
            continue
    return None


