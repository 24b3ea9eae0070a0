"""An indication's criteria as the policy lists them: an all-of list of '- ' items, with nested
any-of lists as deep as the policy writes them."""

from __future__ import annotations

from app.engine.records import CriterionLine

def parse_criteria(section_text: str) -> tuple[str | None, list[CriterionLine]]:
    """(lead sentence, top-level criteria) from a section's text whose list items start with '- '."""
    lead: str | None = None
    items: list[CriterionLine] = []
    for line in section_text.split("\n"):
        if not line.strip():
            continue
        depth = (len(line) - len(line.lstrip(" "))) // 2
        body = line.strip()
        if body.startswith("- "):
            node = CriterionLine(body[2:].strip())
            parent = items[-1] if depth >= 1 and items else None
            for _ in range(depth - 1):  # nested any-of lists go as deep as the policy writes them
                if parent is None or not parent.children:
                    break
                parent = parent.children[-1]
            (parent.children if parent is not None else items).append(node)
        elif lead is None and not items:
            lead = body
    return lead, items
