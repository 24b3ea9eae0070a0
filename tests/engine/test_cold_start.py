"""A cold engine (``Engine.from_settings(..., warm=False)``, what ``criterion ask`` builds) loads the
ConText pipeline, the word list, the statements and the dense vectors when a question first needs
them, and answers exactly as a warmed engine does; the ConText pipeline never drags torch or nltk in."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.settings import Settings
from ingest.sync import sync

ROOT = Path(__file__).resolve().parents[2]
QUESTIONS = [
    ("Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with refractory myasthenia gravis?",
     "MG-ADL 9, up from 6; prednisone 40 mg daily and mycophenolate tried; no respiratory compromise"),
    ("Is CPAP covered for obstructive sleep apnea?", "AHI 22 on a home sleep test; no prior CPAP trial"),
    ("Is IVIG covered for CIDP?", None),
]
ANSWER = """
import json, sys
from app.engine import Engine
from app.engine.read.negation import _pipeline
from app.settings import Settings
engine = Engine.from_settings(Settings(data_dir=sys.argv[1], embedding={"backend": "fake"}), warm=sys.argv[2] == "warm")
loaded = _pipeline.cache_info().currsize
answers = [engine.ask(q, p).model_dump(mode="json", exclude={"timings_ms"}) for q, p in json.loads(sys.argv[3])]
print(json.dumps({"context_loaded_at_start": loaded, "answers": answers}))
"""


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cold")
    corpus = root / "corpus" / "policies"
    corpus.mkdir(parents=True)
    for name in ("immune-globulin.md", "pap-obstructive-sleep-apnea.md"):
        shutil.copy(ROOT / "corpus" / "policies" / name, corpus / name)
    settings = Settings(data_dir=root / "data", embedding={"backend": "fake"})
    sync([root / "corpus"], settings)
    return settings.data_dir


def answer_in_fresh_process(data_dir: Path, warm: str) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", ANSWER, str(data_dir), warm, json.dumps(QUESTIONS)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_cold_engine_answers_as_a_warmed_one(data_dir):
    cold = answer_in_fresh_process(data_dir, "cold")
    warmed = answer_in_fresh_process(data_dir, "warm")
    assert cold["context_loaded_at_start"] == 0 and warmed["context_loaded_at_start"] == 1
    assert [a["verdict"] for a in cold["answers"]] == [a["verdict"] for a in warmed["answers"]]
    assert cold["answers"] == warmed["answers"]


def test_the_context_pipeline_loads_without_torch_or_nltk_and_both_import_after():
    script = ("import sys\nfrom app.engine.read.negation import scopes\nfrom app.engine.text.tokens import stems\n"
              "s = scopes('No respiratory compromise; mother had medullary thyroid carcinoma.')\n"
              "print('torch' in sys.modules, 'nltk' in sys.modules, stems('respiratory compromise') <= s.negated, "
              "stems('medullary thyroid carcinoma') <= s.family)\n"
              "import torch\nfrom nltk.corpus import stopwords\nimport quickumls.core\n"
              "print(torch.tensor([1.0]).sum().item(), callable(quickumls.core.nltk.download))")
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split() == ["False", "False", "True", "True", "1.0", "True"]
