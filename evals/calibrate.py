"""Fit the confidence model (``app/engine/decide/data/confidence.json``) on the dev gold cases.

Usage: python -m evals.calibrate --set evals/cases=INDEX_DIR [--set evals/real-corpus=INDEX_DIR ...]
       [--out app/engine/decide/data/confidence.json]

Each ``--set`` is a folder (or file) of gold cases and the index it is answered from. Never give it
``evals/blind/``: the blind sets measure the model, they never train it (the command refuses them).
The model is a logistic regression (L2, Newton's method) of "the verdict is right" on the signals of
``app.engine.decide.confidence.features``; held-out figures come from fitting on all sets but one
and scoring the one left out (and 5-fold over the cases), and are stored beside the weights."""

from __future__ import annotations

import argparse
import json
import os
from datetime import date
from pathlib import Path

import numpy as np

from app.engine.decide.confidence import always_review

os.environ.setdefault("HF_HUB_OFFLINE", "1")

L2 = 1.0


def fit(x: np.ndarray, y: np.ndarray, l2: float = L2, steps: int = 50) -> np.ndarray:
    """Weights (bias first) of a logistic regression with an L2 penalty (not on the bias)."""
    xb = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(xb.shape[1])
    penalty = np.full(xb.shape[1], l2)
    penalty[0] = 0.0
    for _ in range(steps):
        p = 1.0 / (1.0 + np.exp(-np.clip(xb @ w, -30, 30)))
        gradient = xb.T @ (p - y) + penalty * w
        hessian = (xb.T * (p * (1 - p))) @ xb + np.diag(penalty) + 1e-9 * np.eye(len(w))
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.abs(step).max() < 1e-8:
            break
    return w


def predict(w: np.ndarray, x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(w[0] + x @ w[1:], -30, 30)))


def scores(p: np.ndarray, y: np.ndarray) -> dict:
    """Log loss, Brier score, accuracy of the 80 % most confident, expected calibration error."""
    eps = 1e-9
    order = np.argsort(-p, kind="stable")
    top = order[: int(np.ceil(0.8 * len(p)))]
    bins = np.minimum((p * 10).astype(int), 9)
    ece = sum(abs(p[bins == b].mean() - y[bins == b].mean()) * (bins == b).sum() for b in range(10) if (bins == b).any())
    return {"n": int(len(y)), "accuracy": round(float(y.mean()), 3),
            "log_loss": round(float(-np.mean(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps))), 4),
            "brier": round(float(np.mean((p - y) ** 2)), 4),
            "accuracy_at_80": round(float(y[top].mean()), 3), "ece": round(float(ece / len(p)), 4)}


def review_table(p: np.ndarray, y: np.ndarray, pairs: list[tuple[str, str]], always: np.ndarray) -> list[dict]:
    """For candidate review thresholds: share flagged, accuracy of the rest, and the worst error left
    unflagged — a "yes" where the gold is "no" or "conditional". ``always`` marks the answers the
    engine flags whatever their confidence (``confidence.always_review``)."""
    wrong_yes = np.array([v == "yes" and e in ("no", "conditional") for v, e in pairs])
    out = []
    for t in np.arange(0.3, 0.96, 0.05):
        kept = (p >= t) & ~always
        out.append({"threshold": round(float(t), 2), "review_rate": round(float(1 - kept.mean()), 3),
                    "accuracy_unflagged": round(float(y[kept].mean()), 3) if kept.any() else None,
                    "wrong_yes_unflagged": int((wrong_yes & kept).sum())})
    return out


def collect(cases_path: Path, index: Path) -> tuple[list[dict], list[int], list[tuple[str, str]]]:
    """Signals, right (1) or wrong (0), and (verdict, expected verdict) for every case of a set."""
    from app.engine import Engine
    from app.engine.decide.confidence import features
    from app.settings import get_settings
    from evals.cases import load_cases

    engine = Engine.from_settings(get_settings().with_index(index))
    rows, right, ids = [], [], []
    for case in load_cases(cases_path):
        frame, evidence, decision = engine.trace(case.question, case.patient)
        rows.append(features(frame, evidence, decision))
        right.append(int(decision.verdict == case.expected_verdict))
        ids.append((decision.verdict, case.expected_verdict))
    return rows, right, ids


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.calibrate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", required=True, help="CASES=INDEX (repeatable)")
    parser.add_argument("--out", type=Path, default=Path("app/engine/decide/data/confidence.json"))
    args = parser.parse_args(argv)
    sets = []
    for item in args.set:
        cases, _, index = item.partition("=")
        if "blind" in Path(cases).parts:
            parser.error(f"{cases}: the blind sets are never fitted on")
        sets.append((Path(cases), Path(index)))
    data = [(str(cases), *collect(cases, index)) for cases, index in sets]
    names = sorted(data[0][1][0])
    matrix = {name: np.array([[row[f] for f in names] for row in rows], dtype=float) for name, rows, _, _ in data}
    labels = {name: np.array(right, dtype=float) for name, _, right, _ in data}
    x, y = np.vstack(list(matrix.values())), np.concatenate(list(labels.values()))
    held_out = {}
    for name in matrix:  # leave one set out
        if len(matrix) > 1:
            train = [n for n in matrix if n != name]
            w = fit(np.vstack([matrix[n] for n in train]), np.concatenate([labels[n] for n in train]))
            held_out[f"fit on the others, scored on {name}"] = scores(predict(w, matrix[name]), labels[name])
    folds = np.arange(len(y)) % 5
    p = np.zeros(len(y))
    for k in range(5):
        w = fit(x[folds != k], y[folds != k])
        p[folds == k] = predict(w, x[folds == k])
    held_out["5-fold over all dev cases"] = scores(p, y)
    pairs = [pair for _, _, _, set_pairs in data for pair in set_pairs]
    always = np.array([always_review(row) for _, rows, _, _ in data for row in rows])
    w = fit(x, y)
    model = {"fitted_on": [f"{c}={i}" for c, i in sets], "date": date.today().isoformat(), "l2": L2,
             "in_sample": scores(predict(w, x), y), "held_out": held_out,
             "review_thresholds_held_out": review_table(p, y, pairs, always),
             "bias": round(float(w[0]), 6), "weights": {f: round(float(v), 6) for f, v in zip(names, w[1:])}}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(model, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: model[k] for k in ("in_sample", "held_out", "review_thresholds_held_out")}, indent=2))
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
