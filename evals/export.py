"""``--export-qrels DIR``: the gold set and the run in standard IR formats, so retrieval can be
checked with other tools (BEIR loaders, trec_eval, ranx, ir_measures).

- ``queries.jsonl``: BEIR queries, ``{"_id", "text"}`` (plus ``metadata.patient`` when given);
- ``qrels.tsv``: BEIR qrels, header ``query-id<TAB>corpus-id<TAB>score``, answerable cases only;
- ``qrels.trec``: the same as a TREC qrels file (``qid 0 docid 1``) for trec_eval;
- ``run.tsv``: a TREC run (``qid Q0 docid rank score run``, tab separated, no header) of the
  distinct retrieved documents, with the scores the harness scored (1/rank, strictly decreasing).

Everything is read from a report dict, so an old ``report.json`` can be exported too.
"""

from __future__ import annotations

import json
from pathlib import Path

RUN_NAME = "criterion"


def export_qrels(report: dict, out_dir: Path) -> dict[str, Path]:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    cases = report["cases"]
    paths = {name: out_dir / name for name in ("queries.jsonl", "qrels.tsv", "qrels.trec", "run.tsv")}
    with open(paths["queries.jsonl"], "w", encoding="utf-8") as fh:
        for c in cases:
            record = {"_id": c["id"], "text": c["question"]}
            if c.get("patient"):
                record["metadata"] = {"patient": c["patient"]}
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    relevant = [(c["id"], doc) for c in cases for doc in c["expected_sources"]]
    paths["qrels.tsv"].write_text(
        "query-id\tcorpus-id\tscore\n" + "".join(f"{q}\t{d}\t1\n" for q, d in relevant), encoding="utf-8")
    paths["qrels.trec"].write_text("".join(f"{q} 0 {d} 1\n" for q, d in relevant), encoding="utf-8")
    lines = [f"{c['id']}\tQ0\t{doc}\t{rank}\t{1.0 / rank:.6f}\t{RUN_NAME}\n"
             for c in cases for rank, doc in enumerate(c["retrieved_document_ids"], start=1)]
    paths["run.tsv"].write_text("".join(lines), encoding="utf-8")
    return paths
