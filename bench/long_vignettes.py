"""Long vignettes with several insurers' policies in the index (issue #16 item 4): source recall
and MRR of Criterion against the naive LangChain pipeline, in one run, on one corpus — the
starter corpus plus the two fictitious plans' policies of ``evals/issuers/corpus`` — and the
referral-length dev cases (``evals/long-dev``: 3–6 sentences of history, the ask last) and the
issuer cases (``evals/issuers``: the plan named in the text or the payer field).

    python -m bench.long_vignettes [--out bench/long-vignettes.md] [--work bench/work-long]

Each side runs in its own process (``bench.sides``), as in ``make bench``. The naive pipeline
embeds the question alone (with the plan of a payer-field case written into it, so both sides
see it); Criterion is asked as shipped (question, patient record, payer field).
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

from bench import report
from bench.run import ROOT, describe_machine, side

CORPORA = (ROOT / "corpus", ROOT / "evals" / "issuers" / "corpus")
CASES = (ROOT / "evals" / "long-dev", ROOT / "evals" / "issuers")


def link_tree(sources, dest: Path, pattern: str, *, prefixed: bool = False) -> int:
    """Every file matching ``pattern`` under each source, linked at its path relative to that source
    (``prefixed``: its name led by its source folder's, so two sets' cases.yaml stay apart)."""
    n = 0
    for source in sources:
        for path in sorted(source.rglob(pattern)):
            if path.name.lower() == "readme.md":
                continue
            target = dest / (f"{source.name}-{path.name}" if prefixed else path.relative_to(source))
            target.parent.mkdir(parents=True, exist_ok=True)
            target.symlink_to(path.resolve())
            n += 1
    return n


def rows(title: str, criterion: list[dict], baseline: list[dict]) -> list[str]:
    c, b = report.retrieval(criterion), report.retrieval(baseline)
    sig = report.significance(baseline, criterion)
    out = [f"### {title} ({c['n']} answerable cases)", "",
           "| measure | Criterion | naive LangChain | paired t-test p | randomization p |", "|---|---:|---:|---:|---:|"]
    for key, name in report.METRICS.items():
        s = sig.get(key, {})
        p_t = f"{s['student_p']:.4f}" if "student_p" in s else ""
        p_f = f"{s['fisher_p']:.4f}" if "fisher_p" in s else ""
        out.append(f"| {name} | {c[key]:.3f} | {b[key]:.3f} | {p_t} | {p_f} |")
    return out + [""]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "long-vignettes.md")
    parser.add_argument("--work", type=Path, default=ROOT / "bench" / "work-long", help="scratch (emptied first)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    if args.work.exists():
        shutil.rmtree(args.work)
    corpus, cases = args.work / "corpus", args.work / "cases"
    documents = link_tree(CORPORA, corpus, "*.md")
    link_tree(CASES, cases, "*.yaml", prefixed=True)
    machine = describe_machine()
    crit = side("criterion", args.work, args.work / "criterion.json", corpus=corpus, cases=cases)
    base = side("baseline", args.work, args.work / "baseline.json", corpus=corpus, cases=cases)
    by_file = lambda result, name: [c for c in result["cases"] if c["file"] == name]
    lines = ["# Long vignettes, several insurers' policies: Criterion vs the naive LangChain pipeline", "",
             f"Run {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by `python -m bench.long_vignettes`, "
             f"{time.perf_counter() - started:.0f} s; {machine.get('cpu', '')} {machine.get('cores', '')} cores, "
             f"load average at start {tuple(round(x, 1) for x in machine['load_average_start'])}.", "",
             f"Corpus: `corpus/` and `evals/issuers/corpus/` together, {documents} documents (the starter corpus's "
             "policies and guidelines, issuer 'Criterion model policy' for the policies, and the Northwind Health Plan "
             "and Bluestem Mutual Health policies for lumbar MRI, bariatric surgery, PAP and CGRP drugs). Both sides "
             "embed with the bundled all-MiniLM-L6-v2; the naive pipeline is `bench/baseline.py` (1,000-character "
             "chunks, `similarity_search(k=4)`, the question alone).", ""]
    lines += rows("All cases", crit["cases"], base["cases"])
    for name in sorted({c["file"] for c in crit["cases"]}):
        lines += rows(f"`{name}`", by_file(crit, name), by_file(base, name))
    lines += ["Recall@5 of the naive pipeline is what its 4 passages reach (at most 4 documents); MRR@4 is the "
              "like-for-like rank measure. A case's expected source is the named plan's policy (or, for a plan with "
              "no policy in the corpus, the reference policy), so a pipeline that ranks another plan's policy for "
              "the same service first is wrong at rank 1.", ""]
    args.out.write_text("\n".join(lines))
    print(f"bench: wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
