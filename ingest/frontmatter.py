"""YAML front matter of a Markdown file, read safely: the block is bounded in size, and YAML
aliases may not expand it (a 293-byte "billion laughs" file once made a 2.66-million-character
title). Anything over a bound is a named ``UnsafeFrontMatter`` error, so ingest reports the file
and goes on with the rest."""

from __future__ import annotations

import re

import yaml

from app.errors import DocumentError, UnreadableDocument

# The largest front matter in the bundled and the real corpus is 1,994 characters. PyYAML reads
# about 50 KB a second, and its time grows with depth × length for nested [ ] / { }.
MAX_FRONT_MATTER_CHARS = 16_000  # what the block may hold as written
MAX_FLOW_DEPTH = 20  # [ ] / { } nested within each other
MAX_EXPANDED_CHARS = 100_000  # what it may hold once every alias is replaced by what it names

_FRONT = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.S)


class UnsafeFrontMatter(DocumentError):
    """Front matter too large, nested too deeply, or whose aliases expand past the bound."""

    code = "unsafe_front_matter"


def parse_front_matter(text: str, name: str) -> tuple[dict, str]:
    """``(fields, body)``: the front matter as a mapping (empty when there is none) and the rest."""
    match = _FRONT.match(text)
    if not match:
        return {}, text
    block = match.group(1)
    if len(block) > MAX_FRONT_MATTER_CHARS:
        raise UnsafeFrontMatter(f"{name}: front matter is {len(block):,} characters; the limit is "
                                f"{MAX_FRONT_MATTER_CHARS:,}")
    depth = flow_depth(block)
    if depth > MAX_FLOW_DEPTH:
        raise UnsafeFrontMatter(f"{name}: front matter nests [ ] or {{ }} {depth:,} deep; the limit is {MAX_FLOW_DEPTH}")
    loader = yaml.SafeLoader(block)
    try:
        node = loader.get_single_node()
        if node is not None:
            size = expanded_size(node, name)
            if size > MAX_EXPANDED_CHARS:
                raise UnsafeFrontMatter(f"{name}: YAML aliases expand the front matter to over "
                                        f"{MAX_EXPANDED_CHARS:,} characters")
        meta = (loader.construct_document(node) if node is not None else None) or {}
    except yaml.YAMLError as exc:
        raise UnreadableDocument(f"{name}: front matter is not valid YAML ({exc.__class__.__name__})") from None
    except RecursionError:
        raise UnsafeFrontMatter(f"{name}: front matter is nested too deeply") from None
    finally:
        loader.dispose()
    if not isinstance(meta, dict):
        raise UnreadableDocument(f"{name}: front matter must be a mapping of fields")
    return meta, text[match.end():]


def flow_depth(block: str) -> int:
    """How deep ``[`` and ``{`` nest, counted over the raw text (brackets inside quotes count
    too: an over-estimate, which only a title made of brackets would notice)."""
    depth = deepest = 0
    for ch in block:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}" and depth:
            depth -= 1
    return deepest


def expanded_size(root: yaml.Node, name: str) -> int:
    """Characters of scalars (plus one per node) the front matter holds once aliases are
    expanded, counted over the node graph with each shared node counted once per reference:
    linear in the graph however large the expansion. Stops counting past the bound."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()

    def size(node: yaml.Node) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise UnsafeFrontMatter(f"{name}: a YAML alias in the front matter refers to the structure holding it")
        if isinstance(node, yaml.ScalarNode):
            total = 1 + len(node.value)
        else:
            open_nodes.add(key)
            children = node.value if isinstance(node, yaml.SequenceNode) else [n for pair in node.value for n in pair]
            total = 1
            for child in children:
                total += size(child)
                if total > MAX_EXPANDED_CHARS:
                    break
            open_nodes.discard(key)
        sizes[key] = total
        return total

    return size(root)
