"""Hybrid retrieval against dense-only and BM25-only on the gold cases, in one run (same index,
same embedder): recall@1, recall@5 and MRR over distinct documents, answerable cases only.
The shipped retriever also weighs the doc_type the question wants (policy for a coverage
question) and searches the patient record's words; the "plain" rows drop both (hybrid keeps its
title weighting), to show what each part adds.
Usage: python -m bench.retrieval_modes [--index DIR] [--cases PATH]"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def ranked_documents(hits) -> list[str]:
    out: list[str] = []
    for hit in hits:
        if hit.chunk.document_id not in out:
            out.append(hit.chunk.document_id)
    return out


def main() -> None:
    from app.engine.retrieve.hybrid import Retriever
    from app.engine.read import understand
    from bench.engines import engine_over
    from evals.cases import load_cases

    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path)
    parser.add_argument("--cases", type=Path, default=Path("evals/cases"))
    parser.add_argument("--corpus", type=Path, default=Path("corpus"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine, settings = engine_over(tmp, args.index, args.corpus)
        cases = [c for c in load_cases(args.cases) if c.expected_sources]
        print(f"{len(cases)} answerable cases · index {settings.index_path}")
        print("| mode | recall@1 | recall@5 | MRR |\n|---|---|---|---|")
        rows = [("hybrid (shipped)", "hybrid", True), ("hybrid, plain", "hybrid", False),
                ("dense only", "dense", True), ("dense only, plain", "dense", False),
                ("BM25 only", "bm25", True), ("BM25 only, plain", "bm25", False)]
        for label, mode, shipped in rows:
            retriever = Retriever.from_settings(engine.index, engine.embeddings, settings.retrieval, mode=mode)
            r1 = r5 = rr = 0.0
            for case in cases:
                prefer = understand(case.question, case.patient).source_type if shipped else None
                hits = retriever.search(case.question, 20, prefer=prefer, context=case.patient if shipped else None)
                docs = ranked_documents(hits)
                ranks = [i for i, d in enumerate(docs, start=1) if d in case.expected_sources]
                first = ranks[0] if ranks else None
                r1 += first == 1
                r5 += first is not None and first <= 5
                rr += 1.0 / first if first else 0.0
            n = len(cases)
            print(f"| {label} | {r1 / n:.3f} | {r5 / n:.3f} | {rr / n:.3f} |")


if __name__ == "__main__":
    main()
