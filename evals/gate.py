"""The gate: absolute floors and ceilings from ``evals/thresholds.yaml``, and optionally no drop
larger than a margin against a baseline report. :func:`check_gate` returns the failures, in
words; an empty list means the gate passes."""

from __future__ import annotations

from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from evals.metrics import HEADLINE, HIGHER_IS_BETTER

DEFAULT_THRESHOLDS = Path(__file__).with_name("thresholds.yaml")
LATENCY = ("latency_ms_p50", "latency_ms_p95")


class Thresholds(BaseModel):
    model_config = ConfigDict(extra="forbid")

    margin: float = Field(0.02, ge=0, le=1, description="Largest drop against --baseline that still passes.")
    floors: dict[str, float] = Field(default_factory=dict, description="Metric -> lowest passing value.")
    ceilings: dict[str, float] = Field(default_factory=dict, description="Metric -> highest passing value.")
    compare: list[str] = Field(default_factory=lambda: sorted(HIGHER_IS_BETTER),
                               description="Metrics checked against --baseline.")

    @field_validator("floors", "ceilings", "compare")
    @classmethod
    def _known_metrics(cls, value):
        unknown = [name for name in value if name not in HEADLINE]
        if unknown:
            raise ValueError(f"unknown metric(s) {', '.join(unknown)}; known: {', '.join(HEADLINE)}")
        return value

    @field_validator("compare")
    @classmethod
    def _deterministic(cls, value):
        if any(name in LATENCY for name in value):
            raise ValueError("latency varies from run to run and cannot be compared against a baseline")
        return value


def load_thresholds(path: Path | None = None) -> Thresholds:
    path = Path(path) if path else DEFAULT_THRESHOLDS
    try:
        return Thresholds.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")) or {})
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"{path}: cannot read thresholds: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise ValueError(f"{path}: {problems}") from exc


def _num(value) -> str:
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def check_gate(metrics: dict, thresholds: Thresholds, baseline: dict | None = None) -> list[str]:
    """Failures of ``metrics`` (a report's ``metrics``) against the thresholds and, when given,
    a baseline's ``metrics``. Metrics that measured nothing (``None``) are not gated."""
    failures = []
    for name, floor in thresholds.floors.items():
        value = metrics.get(name)
        if value is not None and value < floor:
            failures.append(f"{name} {_num(value)} is below the floor {_num(floor)}")
    for name, ceiling in thresholds.ceilings.items():
        value = metrics.get(name)
        if value is not None and value > ceiling:
            failures.append(f"{name} {_num(value)} is above the ceiling {ceiling:g}")
    if baseline is None:
        return failures
    if baseline.get("k") != metrics.get("k") and any(name.endswith("_at_k") for name in thresholds.compare):
        failures.append(f"the baseline was scored at k={baseline.get('k')} and this run at k={metrics.get('k')}; "
                        "re-run with the baseline's --k to compare")
        return failures
    for name in thresholds.compare:
        now, before = metrics.get(name), baseline.get(name)
        if now is None or before is None:
            continue
        if name in HIGHER_IS_BETTER and now < before - thresholds.margin - 1e-9:
            failures.append(f"{name} fell from {_num(before)} (baseline) to {_num(now)}, "
                            f"more than the margin {_num(thresholds.margin)}")
        elif name not in HIGHER_IS_BETTER and now > before + thresholds.margin + 1e-9:
            failures.append(f"{name} rose from {_num(before)} (baseline) to {_num(now)}")
    return failures
