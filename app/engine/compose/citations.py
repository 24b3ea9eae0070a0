"""Citation verification, run on every answer whichever composer made it: no statement without a
citation, no citation to a passage that was not retrieved, no quote that is not verbatim."""

from __future__ import annotations

from app.chunks import Chunk
from app.schemas import Answer, Statement


def verify(answer: Answer, retrieved: dict[str, Chunk]) -> Answer:
    """Drop invalid citations and the statements left unsupported; record each removal in ``flags``."""
    valid: dict[int, bool] = {}
    for c in answer.citations:
        chunk = retrieved.get(c.chunk_id)
        if chunk is None:
            answer.flags.append(f"citation [{c.id}] removed: passage {c.chunk_id} was not retrieved")
            valid[c.id] = False
        elif not c.quote or c.quote not in chunk.text:
            answer.flags.append(f"citation [{c.id}] removed: quote is not verbatim in {c.chunk_id}")
            valid[c.id] = False
        elif c.document_id != chunk.document_id:
            answer.flags.append(f"citation [{c.id}] removed: document id does not match its passage")
            valid[c.id] = False
        else:
            valid[c.id] = True
            c.issuer = chunk.issuer  # whichever composer cited it, the passage says whose it is

    def keep(statements: list[Statement]) -> list[Statement]:
        out = []
        for s in statements:
            s.citations = [i for i in s.citations if valid.get(i)]
            if s.citations:
                out.append(s)
            else:
                answer.flags.append(f"statement removed (no valid citation): {s.text[:80]}")
        return out

    answer.sections = {name: kept for name, group in answer.sections.items() if (kept := keep(group))}
    for conflict in answer.conflicts:
        conflict.positions = keep(conflict.positions)
    answer.conflicts = [c for c in answer.conflicts if len(c.positions) >= 2]
    for criterion in answer.criteria:
        criterion.citations = [i for i in criterion.citations if valid.get(i)]
    answer.criteria = [c for c in answer.criteria if c.citations]
    for check in answer.numeric_checks:
        check.citations = [i for i in check.citations if valid.get(i)]
    # renumber the surviving citations 1..n
    survivors = [c for c in answer.citations if valid.get(c.id)]
    renumber = {c.id: n for n, c in enumerate(survivors, start=1)}
    for c in survivors:
        c.id = renumber[c.id]
    answer.citations = survivors
    for group in [*answer.sections.values(), *(c.positions for c in answer.conflicts)]:
        for s in group:
            s.citations = [renumber[i] for i in s.citations]
    for item in [*answer.criteria, *answer.numeric_checks]:
        item.citations = [renumber[i] for i in item.citations if i in renumber]
    answer.summary = _renumber_markers(answer.summary, renumber)
    return answer


def _renumber_markers(text: str, renumber: dict[int, int]) -> str:
    import re

    def sub(m):
        n = int(m.group(1))
        return f"[{renumber[n]}]" if n in renumber else ""

    return re.sub(r"\[(\d+)\]", sub, text)
