"""The bundled all-MiniLM-L6-v2 through ONNX Runtime (embedding backend ``onnx``): the export, made
once at install time from the weights already on disk (no download), and the embedder that runs it.

    python -m app.onnx_embedder [--out DIR] [--force]      (default DIR: embedding.onnx_dir,
                                                            i.e. <data_dir>/onnx-model)

The export directory holds the model's configs and tokenizer, ``onnx/model.onnx`` (fp32) and
``onnx/model_qint8_avx512_vnni.onnx`` (weights int8 per channel, activations quantized dynamically:
ONNX Runtime's ``quantize_dynamic``, the recipe of sentence-transformers'
``export_dynamic_quantized_onnx_model(..., "avx512_vnni")``), and ``EXPORTED.json`` naming the
weights it came from. Exporting is idempotent: when that marker matches, it returns at once.

Why not sentence-transformers' own exporter: it needs ``optimum-onnx``, whose only release (0.1.0)
requires ``transformers<4.58``, while sentence-transformers 6 requires ``transformers>=5``. So the
graph is traced with ``torch.onnx.export`` and quantized with ONNX Runtime (the ``onnx`` package is
needed for that step only), and :class:`OnnxEmbeddings` runs it with ``tokenizers`` and
``onnxruntime`` alone, pooling and normalising as the model's modules.json says (mean, L2).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

EXPORT_VERSION = "1"
FP32_FILE = "onnx/model.onnx"
INT8_FILE = "onnx/model_qint8_avx512_vnni.onnx"
MARKER = "EXPORTED.json"
MAX_LENGTH = 256  # all-MiniLM-L6-v2's max_seq_length (its tokenizer.json says 128; sentence-transformers uses 256)
DIMENSION = 384
COPIED = (
    "config.json", "modules.json", "sentence_bert_config.json", "config_sentence_transformers.json",
    "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt", "1_Pooling/config.json",
)
INPUTS = ("input_ids", "attention_mask", "token_type_ids")


class OnnxEmbeddings(Embeddings):
    """all-MiniLM-L6-v2 through ONNX Runtime: word pieces (at most 256), mean pooling, L2 norm."""

    def __init__(self, model_dir: Path, file_name: str = INT8_FILE, *, batch_size: int = 64,
                 threads: int | None = None):
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self.model_dir = Path(model_dir)
        self.file_name = file_name
        self.batch_size = batch_size
        self.tokenizer = Tokenizer.from_file(str(self.model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(MAX_LENGTH)
        self.tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        # No busy-waiting between calls: on shared cores a spinning pool slows everyone else.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = ort.InferenceSession(str(self.model_dir / file_name), options,
                                            providers=["CPUExecutionProvider"])
        self.input_names = {i.name for i in self.session.get_inputs()}

    def _encode(self, texts: list[str]) -> np.ndarray:
        encoded = self.tokenizer.encode_batch(texts)
        feeds = {
            "input_ids": np.array([e.ids for e in encoded], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encoded], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encoded], dtype=np.int64),
        }
        hidden = self.session.run(None, {k: v for k, v in feeds.items() if k in self.input_names})[0]
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        if not texts:
            return []
        # Longest first, as sentence-transformers batches, so a batch pads to similar lengths.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.empty((len(texts), DIMENSION), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            rows = order[start:start + self.batch_size]
            out[rows] = self._encode([texts[i] for i in rows])
        return out.tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._encode([text])[0].tolist()


# --- the export -----------------------------------------------------------------------------------


def weights_digest(model_dir: Path, salt: str = "") -> str:
    """Names a model directory's weights: configs and tokenizer bytes, weights size (hex)."""
    digest = hashlib.sha256(salt.encode())
    for name in ("config.json", "modules.json", "tokenizer.json"):
        f = model_dir / name
        if f.exists():
            digest.update(f.read_bytes())
    weights = model_dir / "model.safetensors"
    if weights.exists():
        digest.update(str(weights.stat().st_size).encode())
    return digest.hexdigest()


def source_digest(model_dir: Path) -> str:
    """Names the weights being exported (and the exporter's version)."""
    return weights_digest(model_dir, EXPORT_VERSION)[:16]


def is_exported(out_dir: Path, model_dir: Path) -> bool:
    """True when ``out_dir`` holds a complete export of the weights in ``model_dir``."""
    marker = out_dir / MARKER
    if not marker.exists():
        return False
    try:
        recorded = json.loads(marker.read_text())
    except (OSError, json.JSONDecodeError):
        return False
    return recorded.get("source") == source_digest(model_dir) and all(
        (out_dir / f).exists() for f in (FP32_FILE, INT8_FILE)
    )


def export(model_dir: Path, out_dir: Path, *, force: bool = False) -> bool:
    """Export into ``out_dir`` unless it already holds this model's export; True when it exported.
    Built in a sibling temporary directory and renamed into place, so a killed export leaves
    nothing half-written behind ``out_dir``."""
    if not force and is_exported(out_dir, model_dir):
        return False
    started = time.perf_counter()
    tmp = out_dir.parent / f".{out_dir.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "onnx").mkdir(parents=True)
    for name in COPIED:
        if (model_dir / name).exists():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(model_dir / name, tmp / name)
    _export_fp32(model_dir, tmp / FP32_FILE)
    _quantize(tmp / FP32_FILE, tmp / INT8_FILE)
    agreement = _check(model_dir, tmp)
    (tmp / MARKER).write_text(json.dumps({
        "source": source_digest(model_dir), "model_dir": str(model_dir), "files": [FP32_FILE, INT8_FILE],
        "cosine_to_torch": agreement, "seconds": round(time.perf_counter() - started, 1),
    }, indent=2))
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)
    return True


def _export_fp32(model_dir: Path, dest: Path) -> None:
    import warnings

    import torch
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    model = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    class LastHiddenState(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask,
                              token_type_ids=token_type_ids).last_hidden_state

    example = {name: torch.ones((2, 8), dtype=torch.long) for name in INPUTS}
    example["token_type_ids"] = torch.zeros((2, 8), dtype=torch.long)
    axes = {name: {0: "batch", 1: "sequence"} for name in (*INPUTS, "last_hidden_state")}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # tracer and deprecation notes of the TorchScript exporter
        torch.onnx.export(LastHiddenState(model), tuple(example[n] for n in INPUTS), str(dest),
                          input_names=list(INPUTS), output_names=["last_hidden_state"],
                          dynamic_axes=axes, opset_version=17, dynamo=False)


def _quantize(src: Path, dest: Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    root.setLevel(logging.ERROR)  # quiet the "consider pre-processing" advice, logged on the root logger
    try:
        quantize_dynamic(str(src), str(dest), weight_type=QuantType.QInt8, per_channel=True)
    finally:
        root.setLevel(level)
        for handler in root.handlers[:]:
            if handler not in handlers:  # a basicConfig() made on the way would print everyone's debug logs
                root.removeHandler(handler)


def _check(model_dir: Path, out_dir: Path) -> dict[str, float]:
    """Smallest cosine between torch's embeddings and each ONNX file's; fp32 must agree."""
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    texts = ["Is IVIG medically necessary for refractory myasthenia gravis?", "PA",
             "The patient had an inadequate response to corticosteroids and two immunosuppressants. " * 30]
    reference = SentenceTransformer(str(model_dir), device="cpu").encode(texts, normalize_embeddings=True)
    agreement = {}
    for name in (FP32_FILE, INT8_FILE):
        got = np.asarray(OnnxEmbeddings(out_dir, name).embed_documents(texts))
        agreement[name] = round(float((got * reference).sum(axis=1).min()), 5)
    if agreement[FP32_FILE] < 0.9999:
        raise RuntimeError(f"the fp32 ONNX export disagrees with torch (cosine {agreement[FP32_FILE]})")
    return agreement


def main(argv: list[str] | None = None) -> int:
    """An entry point (``make install`` runs it): export the configured model where settings say."""
    from app.model_files import model_path, onnx_export_dir
    from app.settings import get_settings

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None,
                        help="export directory (default: embedding.onnx_dir, i.e. <data_dir>/onnx-model)")
    parser.add_argument("--force", action="store_true", help="export again even when up to date")
    args = parser.parse_args(argv)
    settings = get_settings()
    out = args.out or onnx_export_dir(settings)
    source = model_path(settings)
    if not export(source, out, force=args.force):
        print(f"ONNX export in {out} is up to date")
        return 0
    recorded = json.loads((out / MARKER).read_text())
    cos = recorded["cosine_to_torch"]
    print(f"exported {source.name} to {out} in {recorded['seconds']} s ({FP32_FILE}, {INT8_FILE}; "
          f"smallest cosine to torch: fp32 {cos[FP32_FILE]}, int8 {cos[INT8_FILE]})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
