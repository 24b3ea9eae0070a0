"""The letter as a sequence of blocks — headings, paragraphs, labelled fields, tables, lists — that
both the HTML and the PDF renderer lay out, so the two always hold the same text."""

from __future__ import annotations

from dataclasses import dataclass, field

from app.letters.determination import Determination, Party

TITLE = "Medical necessity determination"
BLANK = ""  # a field to fill in by hand


@dataclass
class Heading:
    text: str
    level: int = 2


@dataclass
class Para:
    text: str
    style: str = "body"  # body · verdict · note · small · pre (its line breaks kept)


@dataclass
class Fields:
    rows: list[tuple[str, str]]


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    widths: list[float] = field(default_factory=list)  # fractions of the text width
    kind: str = ""


@dataclass
class Items:
    items: list[str]
    numbered: bool = False


Block = Heading | Para | Fields | Table | Items


def layout(d: Determination) -> list[Block]:
    blocks: list[Block] = [
        Heading(TITLE, 1),
        Para(f"Draft for review · reference {d.reference} · prepared {d.prepared_on}", "small"),
        Para(d.disclaimer, "note"),
        Heading("Request"),
        Fields([*_party("Member", d.member, "Member ID", "Date of birth"),
                *_party("Requesting provider", d.requester, "NPI", "Organisation / contact"), ("Question", d.question)]),
        Heading("Clinical information", 3),
        Para(d.patient or "None provided.", "pre" if d.patient else "small"),
        Heading("Determination"),
        Para(f"{d.verdict_label} (verdict: {d.verdict})", "verdict"),
        Para(d.summary),
    ]
    if d.reason:
        blocks.append(Para(f"Reason: {d.reason}"))
    if d.confidence is not None:
        review = " A person should check this verdict before relying on it." if d.needs_review else ""
        blocks.append(Para(f"Estimated confidence: {d.confidence:.0%}.{review}", "small"))
    blocks += _policy(d)
    if d.criteria:
        blocks += [Heading("Criteria"),
                   Table(["#", "Criterion (policy text)", "Status", "Evidence", "Source"],
                         [[str(i), c.text, c.status_label, c.evidence or "-", _refs(c.citations)]
                          for i, c in enumerate(d.criteria, start=1)], [0.05, 0.42, 0.15, 0.28, 0.10], "criteria")]
    blocks += _codes(d)
    blocks.append(Heading("Authorization period and quantity limits"))
    blocks.append(Items([f"{line.text} {_refs(line.citations)}" for line in d.limits]) if d.limits else
                  Para("The policy states no authorization period or quantity limit for this request.", "small"))
    blocks.append(Heading("What to submit to change the outcome"))
    blocks.append(Items(d.to_submit) if d.to_submit else Para("Nothing was identified.", "small"))
    if d.citations:
        blocks += [Heading("References"), Items([_reference(c) for c in d.citations])]
    blocks += [Heading("Reviewer"),
               Fields([("Reviewer name", BLANK), ("Credentials", BLANK), ("Signature", BLANK), ("Date", BLANK)]),
               Para(d.disclaimer, "note")]
    return blocks


def _party(role: str, p: Party, identifier: str, detail: str) -> list[tuple[str, str]]:
    return [(f"{role} name", p.name), (identifier, p.identifier), (detail, p.detail)]


def _policy(d: Determination) -> list[Block]:
    policy = d.policy
    if policy is None:
        return [Heading("Policy"), Para("No policy or guideline was cited.", "small")]
    blocks: list[Block] = [Heading("Policy"), Fields([
        ("Policy", policy.title), ("Issuer", policy.issuer or "not stated"), ("Version", policy.version),
        ("Effective date", policy.effective_date or "not stated"), ("Last reviewed", policy.last_reviewed or "not stated"),
        ("Document", policy.document_id + (f" (sha256 {policy.sha256[:12]})" if policy.sha256 else "")),
    ])]
    others = [p for p in d.policies if not p.primary]
    if others:
        blocks.append(Para("Also cited: " + "; ".join(
            f"{p.title} ({p.document_id}, {p.doc_type or 'document'}, {p.status or 'current'}, "
            f"effective {p.effective_date or 'not stated'})" for p in others), "small"))
    return blocks


def _codes(d: Determination) -> list[Block]:
    blocks: list[Block] = [Heading("Codes")]
    if not d.codes:
        return blocks + [Para("The policy lists no codes.", "small")]
    matching = d.matching_codes()
    if matching:
        blocks.append(Para("Codes the policy lists that match the request:"))
        blocks.append(Table(["System", "Code", "Description", "Listed under"],
                            [[c.system, c.code, c.description or "-", c.heading or "-"] for c in matching],
                            [0.14, 0.12, 0.42, 0.32], "codes"))
    else:
        blocks.append(Para("None of the policy's codes matches the request by name; confirm the codes to bill.", "small"))
    others = d.other_codes()
    if others:
        by_system: dict[str, list[str]] = {}
        for c in others:
            by_system.setdefault(c.system, []).append(c.code)
        blocks.append(Para("Other codes the policy lists: " + "; ".join(
            f"{system} {', '.join(codes)}" for system, codes in by_system.items()), "small"))
    return blocks


def _refs(numbers: list[int]) -> str:
    return " ".join(f"[{n}]" for n in numbers) or "-"


def _reference(c) -> str:
    where = c.section.removeprefix(f"{c.title} > ") or c.title
    page = f", page {c.page}" if c.page else ""
    dated = f", effective {c.effective_date}" if c.effective_date else ""
    return f"[{c.id}] {c.title} ({c.document_id}) - {where}{page}{dated}: \u201c{c.quote}\u201d"
