"""Determination letters (app/letters/): the seed question's letter names the immune globulin
policy, its version and effective date, its J-codes and each criterion with its citation; the PDF
opens with pypdf and holds the same text as the HTML; characters outside Latin-1 print."""

from __future__ import annotations

import io
import re
import shutil
from html import unescape
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from app.chunks import Chunk
from app.engine import Engine
from app.letters import Party, determine, render
from app.letters.codes import policy_codes
from app.letters.layout import Fields, Heading, Items, Para, Table, layout
from app.settings import Settings
from ingest.sync import sync

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "corpus" / "policies" / "immune-globulin.md"
SEED = "Is IVIG 1 g/kg every 3 weeks medically necessary for a patient with refractory myasthenia gravis?"
SEED_PATIENT = "MG-ADL 9, up from 6; prednisone 40 mg daily and mycophenolate tried; no respiratory compromise"


def front_matter(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8").split("---")[1])


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    """The bundled immune globulin policies (current and superseded) and one unrelated policy,
    indexed with the fake embedder."""
    root = tmp_path_factory.mktemp("letters")
    corpus = root / "corpus" / "policies"
    corpus.mkdir(parents=True)
    for name in ("immune-globulin.md", "immune-globulin-2019.md", "pap-obstructive-sleep-apnea.md"):
        shutil.copy(ROOT / "corpus" / "policies" / name, corpus / name)
    settings = Settings(data_dir=root / "data", embedding={"backend": "fake"})
    sync([root / "corpus"], settings)
    return Engine.from_settings(settings)


@pytest.fixture(scope="module")
def seed_letter(engine):
    answer = engine.ask(SEED, SEED_PATIENT)
    return answer, determine(answer, engine.index, patient=SEED_PATIENT)


def html_text(html: str) -> str:
    body = re.sub(r"(?s)<style>.*?</style>", " ", html)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def squeeze(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_seed_letter_names_the_policy_its_version_date_j_codes_and_cited_criteria(seed_letter):
    answer, letter = seed_letter
    meta = front_matter(POLICY)
    text = html_text(render(letter, "html").decode("utf-8"))
    assert letter.policy.document_id == "policies/immune-globulin"
    assert meta["title"] in text
    assert f"Effective date {meta['effective_date']}" in text
    assert f"Version effective {meta['effective_date']} · last reviewed {meta['last_reviewed']}" in text
    for code in meta["codes"]["hcpcs"]:  # every J-code the policy lists; the IVIG ones as matching the request
        assert code in text
    matching = {c.code for c in letter.matching_codes()}
    assert {"J1459", "J1561", "J1599", "G70.00", "G70.01"} <= matching
    assert not matching & {"J1559", "J1575", "G61.0", "D69.3"}  # SCIG, GBS, ITP: not this request
    assert answer.criteria and len(letter.criteria) == len(answer.criteria)
    quotes = {c.id: c.quote for c in letter.citations}
    for row in letter.criteria:
        assert row.text in text and row.citations
        for n in row.citations:
            assert f"[{n}]" in text and quotes[n] in text  # the citation and its verbatim quote
    assert "Decision support only" in text
    assert "Does not meet criteria" in text


def test_the_letter_states_the_policys_authorization_period_and_what_to_submit(seed_letter, engine):
    _, letter = seed_letter
    limits = " ".join(line.text for line in letter.limits)
    assert "reauthorization is for no more than 6 months" in limits
    assert "Primary immunodeficiency" not in limits  # another indication's period
    for line in letter.limits:
        cited = next(c for c in letter.citations if c.id == line.citations[0])
        assert cited.quote in engine.index.chunks[cited.chunk_id].text
    assert any("nonsteroidal immunosuppressants" in item for item in letter.to_submit)


def test_the_pdf_opens_with_pypdf_and_holds_the_same_text_as_the_html(seed_letter):
    _, letter = seed_letter
    data = render(letter, "pdf")
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    assert reader.metadata.title.endswith(letter.reference)
    footer = f"{letter.reference} · decision support only: verify against the cited source"
    printed = re.sub(re.escape(squeeze(footer)) + r"page\d+", "", squeeze(pdf_text(data)))  # each page's footer
    html = squeeze(html_text(render(letter, "html").decode("utf-8")))
    for block in layout(letter):
        for piece in _texts(block):
            assert squeeze(piece) in printed, piece
            assert squeeze(piece) in html, piece


def _texts(block) -> list[str]:
    if isinstance(block, (Heading, Para)):
        return [block.text]
    if isinstance(block, Fields):
        return [part for row in block.rows for part in row if part]
    if isinstance(block, Table):
        return [*block.header, *(cell for row in block.rows for cell in row)]
    if isinstance(block, Items):
        return block.items
    raise AssertionError(block)


def test_characters_outside_latin_1_print_in_the_embedded_font(seed_letter):
    answer, _ = seed_letter
    odd = "MG-ADL ≥ 6 and ≤ 9; dose 1 g/kg × 3; IgG 5 µg/mL; “quoted” ‘text’ – and — dashes → next"
    letter = determine(answer, _Index({}, {}, {}), patient=odd, member=Party(name="Zoë Ångström"))
    data = render(letter, "pdf")
    text = squeeze(pdf_text(data))
    for piece in ("≥6", "≤9", "×3", "µg/mL", "“quoted”", "‘text’", "–and—dashes", "->next", "ZoëÅngström"):
        assert piece in text  # '→' is not in the font: it prints as '->'; the rest as written
    fonts = {str(font["/BaseFont"]) for page in PdfReader(io.BytesIO(data)).pages
             for font in page["/Resources"]["/Font"].values()}
    assert fonts and all("Vera" in name for name in fonts)  # embedded TrueType, not a Latin-1 base font


def test_the_html_escapes_what_it_is_given_and_prints_blanks_to_fill(seed_letter):
    answer, _ = seed_letter
    letter = determine(answer, _Index({}, {}, {}), patient="<script>alert(1)</script>",
                       requester=Party(name='Dr "A" & <B>'))
    html = render(letter, "html").decode("utf-8")
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "Dr &quot;A&quot; &amp; &lt;B&gt;" in html
    assert html.count('<span class=blank></span>') >= 5  # member name, id, birth date, requester NPI, contact …
    assert "@media print" in html


def test_the_fhir_claim_response_carries_the_outcome_and_the_matching_codes(seed_letter):
    import json

    _, letter = seed_letter
    resource = json.loads(render(letter, "fhir"))
    assert resource["resourceType"] == "ClaimResponse" and resource["use"] == "preauthorization"
    assert resource["status"] == "draft" and resource["outcome"] == "complete"
    codings = [c for item in resource["addItem"] for c in item["productOrService"]["coding"]]
    assert {"system": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": "J1459",
            "display": "Privigen"} in codings
    assert any("G70.01" in note["text"] for note in resource["processNote"])
    assert letter.disclaimer in [note["text"] for note in resource["processNote"]]


def test_codes_are_read_from_the_policy_and_matched_by_concept_or_by_name():
    chunk = Chunk(chunk_id="d#1", document_id="d", title="T", section="T > Coding", text=(
        "- HCPCS (IVIG): J1459 Privigen; J1599 NOS.\n- HCPCS (SCIG): J1559 Hizentra.\n"
        "- ICD-10-CM: G70.00 MG without exacerbation; G61.0 Guillain-Barré syndrome; C91.10 to C91.12 CLL."))
    declared = ["J1459", "J1599", "J1559", "G70.00", "G61.0", "C91.10", "C91.11", "C91.12", "E0601"]
    codes = {c.code: c for c in policy_codes(declared, [chunk], "IVIG for myasthenia gravis, or J1559?")}
    assert {k for k, c in codes.items() if c.matches} == {"J1459", "J1599", "G70.00", "J1559"}  # J1559: named
    assert codes["C91.11"].description == "CLL" and codes["C91.11"].system == "ICD-10-CM"  # inside a range
    assert codes["E0601"].system == "HCPCS" and not codes["E0601"].description  # declared only: system by shape
    assert policy_codes([], [], "IVIG for MG") == []


def test_codes_are_read_in_the_other_shapes_policies_write_them():
    chunk = Chunk(chunk_id="d#1", document_id="d", title="T", section="T > Codes", text=(
        "- HCPCS E0601: continuous positive airway pressure (CPAP) device.\n"
        "- HCPCS E0470: respiratory assist device, bilevel pressure capability.\n"
        "- ICD-10-CM examples: E78.01 (familial hypercholesterolemia), E10.9, E10.65 (type 1 diabetes), I25.2 (old MI)."))
    codes = {c.code: c for c in policy_codes([], [chunk], "Is CPAP covered for familial hypercholesterolemia?")}
    assert codes["E0601"].description == "continuous positive airway pressure (CPAP) device"
    assert codes["E10.9"].description == codes["E10.65"].description == "type 1 diabetes"  # a run shares it
    assert {k for k, c in codes.items() if c.matches} == {"E0601", "E78.01"}


class _Index:
    def __init__(self, documents, chunks, compiled):
        self.documents, self.chunks, self.compiled = documents, chunks, compiled


@pytest.mark.parametrize("patient", ["x" * 20_000, "line\n" * 4000, "word " * 4000, "\x00\x1b[31m <b>&amp; \U0001F600"])
def test_text_at_the_services_bounds_lays_out_on_as_many_pages_as_it_needs(patient):
    import time

    from app.schemas import Answer, Citation, Criterion

    answer = Answer(
        question="q" * 4000, verdict="no", summary="s [1]",
        criteria=[Criterion(text="c" * 3000, status="met", detail="d" * 3000, citations=[1])],
        citations=[Citation(id=1, document_id="d", chunk_id="d#1", title="T", quote="z" * 5000)])
    letter = determine(answer, _Index({}, {}, {}), patient=patient,
                       member=Party(name="n" * 200, identifier="i" * 100, detail="x" * 300))
    started = time.monotonic()
    data = render(letter, "pdf")
    assert time.monotonic() - started < 30  # a table row or a paragraph taller than a page splits; no quadratic re-wrap
    assert len(PdfReader(io.BytesIO(data)).pages) >= 2
    assert "&lt;b&gt;" in render(letter, "html").decode() or "<b>" not in patient
