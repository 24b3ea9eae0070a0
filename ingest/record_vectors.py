"""Recommendation records embedded at ingest, so the engine reads their vectors instead of encoding
them on the first question that reaches them (``app.engine.decide.meaning``). A text embedded
by the last commit is not embedded again; the vectors are unit length, as the engine compares them."""

from __future__ import annotations

import numpy as np

from app.engine.compiled import CompiledDocument

BATCH = 256


def recommendation_texts(compiled: dict[str, CompiledDocument]) -> list[str]:
    return sorted({r.text for doc in compiled.values() for r in doc.recommendations})


def embed_records(compiled: dict[str, CompiledDocument], previous: dict[str, np.ndarray],
                  embeddings) -> tuple[dict[str, np.ndarray], int]:
    """(vectors of every recommendation text, how many were embedded now)."""
    texts = recommendation_texts(compiled)
    out = {t: previous[t] for t in texts if t in previous}
    missing = [t for t in texts if t not in out]
    for start in range(0, len(missing), BATCH):
        part = missing[start:start + BATCH]
        for text, vec in zip(part, embeddings.embed_documents(part)):
            v = np.asarray(vec, dtype=np.float32)
            norm = float(np.linalg.norm(v))
            out[text] = v / norm if norm else v
    return out, len(missing)
