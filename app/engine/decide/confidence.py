"""How likely a verdict is right: a logistic model over general signals of the decision and its
evidence, fitted on the dev gold cases (``python -m evals.calibrate``; never on the blind sets) and
stored as data (``data/confidence.json``). The signals say how the verdict was reached, never what
it is about: which verdict, how many criteria were met, failed or undocumented, whether the quote
it stands on takes the same stance, how close the nearest passage was, how much of the question's
topic the passages cover. Below ``decision.review_threshold`` an answer asks for human review."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path

from app.engine.decide.gate import topic_coverage
from app.engine.read import Frame
from app.engine.records import Decision, Evidence
from app.engine.text.statements import NEGATIVE, POSITIVE
from app.schemas import VERDICTS

MODEL_FILE = Path(__file__).parent / "data" / "confidence.json"
_GRADE = re.compile(r"grade:?\s*[abcdi]\b", re.I)  # a graded recommendation's grade line


def features(frame: Frame, evidence: Evidence, decision: Decision) -> dict[str, float]:
    """The decision's signals, each a number (1/0 for yes/no); the same names the model weighs."""
    out: dict[str, float] = {f"verdict_{v}": float(decision.verdict == v) for v in VERDICTS}
    statuses = [ev.status for _, ev, _ in decision.criteria if ev.status != "not_applicable"]
    n = len(statuses)
    out["criteria"] = math.log1p(n)
    for status in ("met", "not_met", "not_documented"):
        out[f"share_{status}"] = statuses.count(status) / n if n else 0.0
    # how the verdict was reached: a policy's criteria checked one by one, a policy's statements, a
    # graded recommendation, or only the wording (stance) of the closest statements
    graded = any(_GRADE.match(s.text) for s in decision.deciding)
    out["basis_criteria"] = float(bool(decision.criteria))
    out["basis_policy"] = float(decision.primary_document is not None and not decision.criteria)
    out["basis_grade"] = float(decision.primary_document is None and graded)
    by_wording = decision.primary_document is None and not graded and decision.verdict in ("yes", "no")
    out["basis_recommendation"] = float(decision.basis == "recommendation")
    out["yes_by_wording"] = float(by_wording and decision.verdict == "yes")
    out["no_by_wording"] = float(by_wording and decision.verdict == "no")
    out["yes_with_undocumented"] = float(decision.verdict == "yes" and out["share_not_documented"] > 0)
    out["yes_by_meaning"] = float(decision.verdict == "yes" and decision.basis == "meaning")
    stances = [s.stance for s in decision.deciding]
    lead = stances[0] if stances else ""
    agrees = (decision.verdict == "yes" and lead in POSITIVE) or (decision.verdict == "no" and lead in NEGATIVE)
    out["lead_agrees"] = float(agrees)
    # a "yes" beside a quote that says no (or a "no" beside one that says yes): the worst kind of answer
    out["quote_contradicts"] = float((decision.verdict == "yes" and any(s in NEGATIVE for s in stances))
                                     or (decision.verdict == "no" and bool(stances) and all(s in POSITIVE for s in stances)))
    out["deciding_statements"] = math.log1p(len(stances))
    hits = evidence.hits
    out["best_dense"] = float(hits.best_dense or 0.0) if hasattr(hits, "best_dense") else 0.0
    top, second = (hits[0].score if hits else 0.0), (hits[1].score if len(hits) > 1 else 0.0)
    out["top_margin"] = (top - second) / top if top > 0 else 0.0
    out["topic_coverage"] = topic_coverage(frame, evidence) if hits else 0.0
    out["has_patient"] = float(evidence.has_patient)
    out["patient_numbers"] = math.log1p(len(frame.facts.numbers))
    out["kind_coverage"] = float(frame.kind == "coverage")
    out["asks_regimen"] = float(frame.regimen.dose is not None or frame.regimen.interval_days is not None)
    out["source_type_matches"] = float(bool(hits) and hits[0].chunk.doc_type == frame.source_type)
    out["documents_in_top5"] = float(len({h.chunk.document_id for h in hits[:5]}))
    return out


REVIEW_REASONS = {
    "yes_by_wording": "the verdict stands only on the wording of a statement",
    "quote_contradicts": "the verdict stands beside a quote that takes the opposite stance",
    "yes_with_undocumented": "the \"yes\" counts a criterion the question and record do not document as administrative",
    "yes_by_meaning": "the \"yes\" was reached by matching criteria to the stated facts by meaning, not by the rules alone",
}


def review_reasons(signals: dict[str, float]) -> list[str]:
    """Why a person must check the answer whatever the model says: a "yes" that stands only on the
    wording of the closest statements (no criterion checked, no graded recommendation) — on the dev
    cases right about half the time (54 of 110) and most of the wrong "yes" answers; a verdict beside
    a quote that takes the opposite stance; a "yes" with a criterion row not documented (the rules
    judged it administrative) — on the dev sets (starter, real corpus, long vignettes, issuers) 8 of
    the 10 wrong "yes" answers not otherwise sent to review, against 30 right ones; a "yes" whose
    criteria were matched to the record by meaning (``affirmed``) — on the dev sets 2 answers, too few
    to call reliable."""
    return [text for key, text in REVIEW_REASONS.items() if signals.get(key)]


def always_review(signals: dict[str, float]) -> bool:
    return bool(review_reasons(signals))


@dataclass(frozen=True)
class ConfidenceModel:
    """Logistic regression: confidence = σ(bias + Σ weight·feature). Unknown features weigh 0."""

    weights: dict[str, float]
    bias: float
    about: dict

    @classmethod
    def load(cls, path: Path = MODEL_FILE) -> "ConfidenceModel | None":
        """The fitted model, or None when there is none yet (answers then carry no confidence)."""
        if not path.exists():
            return None
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(weights={k: float(v) for k, v in data["weights"].items()}, bias=float(data["bias"]),
                   about={k: v for k, v in data.items() if k not in ("weights", "bias")})

    def predict(self, signals: dict[str, float]) -> float:
        z = self.bias + sum(self.weights.get(name, 0.0) * value for name, value in signals.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))
