"""``POST /v1/determinations``: the answer to a question laid out as a reviewer's determination
letter (app/letters/) — HTML with a print stylesheet, PDF, the letter's fields as JSON, or a FHIR
``ClaimResponse``-shaped resource. The question is answered exactly as ``/v1/ask`` answers it
(same bounds, deadline, audit); member and requester fields left out are printed blank, to fill."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from app.api.access import Principal, caller
from app.api.models import SOMETHING, Filters, IsoDate
from app.letters import MEDIA_TYPES, Determination, Party, determine, render

router = APIRouter(tags=["determinations"])

FILE_SUFFIX = {"html": "html", "pdf": "pdf", "json": "json", "fhir": "fhir.json"}
LETTER_RESPONSES = {200: {
    "model": Determination,
    "description": "The determination letter in the requested format (`format`).",
    "content": {"text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}},
                "application/fhir+json": {"schema": {"type": "object", "description": "A FHIR R4 ClaimResponse "
                                                     "(use preauthorization, status draft)."}}}}}


class PartyFields(Party):
    model_config = ConfigDict(extra="forbid")


class DeterminationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: str = Field(min_length=1, pattern=SOMETHING, description="The question, as for /v1/ask (at most "
                          "api.max_question_chars).")
    patient: str | None = Field(None, description="Free-text patient context (at most api.max_patient_chars).")
    format: Literal["html", "pdf", "json", "fhir"] = Field(
        "html", description="html (text/html, printable), pdf (application/pdf), json (the letter's fields) or "
        "fhir (a ClaimResponse-shaped resource, application/fhir+json).")
    member: PartyFields | None = Field(None, description="The member: name, member id (identifier), date of birth "
                                       "(detail). Left out, the letter prints lines to fill in.")
    requester: PartyFields | None = Field(None, description="The requesting provider: name, NPI (identifier), "
                                          "organisation and contact (detail).")
    filters: Filters | None = None
    k: int | None = Field(None, ge=1, le=50, description="Passages to retrieve.")
    payer: str | None = Field(None, min_length=1, max_length=300, pattern=SOMETHING,
                              description="The health plan whose policy should decide, as for /v1/ask.")
    as_of: IsoDate | None = Field(None, description="Date of service (YYYY-MM-DD), as for /v1/ask.")


@router.post("/v1/determinations", response_class=Response, responses=LETTER_RESPONSES,
             summary="Answer a question as a determination letter (HTML, PDF, JSON or FHIR ClaimResponse)")
def determination(body: DeterminationRequest, request: Request, who: Principal = Depends(caller)) -> Response:
    state = request.app.state
    state.bounds.ask(body.question, body.patient)
    filters = body.filters.model_dump(exclude_none=True) if body.filters else None
    answer = state.runtime.ask(body.question, body.patient, filters, body.k, payer=body.payer, as_of=body.as_of)
    state.recorder.answered(who, "determination", body.question, body.patient, answer, format=body.format)
    letter = determine(answer, state.runtime.current().index, patient=body.patient,
                       member=Party(**body.member.model_dump()) if body.member else None,
                       requester=Party(**body.requester.model_dump()) if body.requester else None)
    name = f"{letter.reference}.{FILE_SUFFIX[body.format]}"
    return Response(render(letter, body.format), media_type=MEDIA_TYPES[body.format],
                    headers={"Content-Disposition": f'inline; filename="{name}"'})
