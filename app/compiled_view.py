"""A document's compiled criteria as a maintainer reads them (``criterion criteria DOC_ID``): each
indication's all-of / any-of tree with every criterion's typed reading, then the exclusions,
experimental statements, limits and recommendations — each record with its quote and chunk id,
so what was understood can be checked against the words it came from."""

from __future__ import annotations

from app.engine.compiled import CompiledDocument, Criterion, Group, describe

_OP = {"all_of": "ALL of", "any_of": "ANY of"}


def _cited(quote: str, chunk_id: str, pad: str, text: str = "") -> list[str]:
    """The quote (unless it is the text just shown) and the chunk it is in."""
    return ([] if quote == text else [f'{pad}"{quote}"']) + [f"{pad}[{chunk_id}]"]


def _tree(node: Group | Criterion, pad: str) -> list[str]:
    if isinstance(node, Criterion):
        reading = f"  => {describe(node.predicate)}" if node.predicate else "  (free text)"
        tag = " (documentation)" if node.kind == "documentation" else ""
        lines = [f"{pad}- {node.text}{tag}{reading}"]
        if node.quote != node.text:
            lines.append(f'{pad}  "{node.quote}"')
        return lines + [f"{pad}  [{node.chunk_id}]"]
    op = _OP[node.op] if node.at_least is None else f"AT LEAST {node.at_least} of"
    head = f"{pad}{op} ({node.basis})"
    if node.text:
        head += f": {node.text}"
    if node.predicate:
        head += f"  => {describe(node.predicate)}"
    lines = [head]
    for item in node.items:
        lines.extend(_tree(item, pad + "    "))
    return lines


def outline(doc: CompiledDocument, title: str = "") -> list[str]:
    lines = [f"{doc.document_id}{' — ' + title if title else ''}  (compiler {doc.compiler})"]
    for warning in doc.warnings:
        lines.append(f"warning: {warning}")
    lines.append(f"\nIndications ({len(doc.indications)})")
    for n, ind in enumerate(doc.indications, 1):
        lines.append(f"  {n}. {ind.title}{'  [continuation]' if ind.continuation else ''}")
        lines.append(f"     section: {ind.section}")
        lines.extend(_cited(ind.quote, ind.chunk_id, "     "))
        lines.extend(_tree(ind.criteria, "     "))
    for name, records in (("Exclusions", doc.exclusions), ("Experimental / investigational", doc.experimental)):
        lines.append(f"\n{name} ({len(records)})")
        for n, r in enumerate(records, 1):
            lines.append(f"  {n}. {r.text}")
            if r.context:
                lines.append(f"     under: {r.context}")
            lines.extend(_cited(r.quote, r.chunk_id, "     ", r.text))
    lines.append(f"\nLimits ({len(doc.limits)})")
    for n, lim in enumerate(doc.limits, 1):
        values = [describe(v) for v in (*lim.doses, *lim.intervals, *lim.durations, *lim.quantities)]
        lines.append(f"  {n}. {lim.text}")
        lines.append(f"     => {'; '.join(values) if values else '(free text)'}")
        lines.extend(_cited(lim.quote, lim.chunk_id, "     ", lim.text))
    lines.append(f"\nRecommendations ({len(doc.recommendations)})")
    for n, rec in enumerate(doc.recommendations, 1):
        grade = f", grade {rec.grade}" if rec.grade else ""
        lines.append(f"  {n}. {rec.stance}{grade}{', ' + rec.date if rec.date else ''}: {rec.text}")
        band = ", ".join(x for x in (describe(rec.age) if rec.age else "", f"sex {rec.sex}" if rec.sex else "") if x)
        if rec.population or band:
            lines.append(f"     population: {rec.population}{'  (' + band + ')' if band else ''}")
        if rec.intervention:
            lines.append(f"     intervention: {rec.intervention}")
        lines.extend(_cited(rec.quote, rec.chunk_id, "     ", rec.text))
    return lines
