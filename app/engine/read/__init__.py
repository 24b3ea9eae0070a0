"""Read: the question and the patient record as a typed frame (kind, terms, regimen, facts)."""

from app.engine.read.facts import Facts
from app.engine.read.frame import Frame, understand
from app.engine.read.regimen import Regimen

__all__ = ["Facts", "Frame", "Regimen", "understand"]
