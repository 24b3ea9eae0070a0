"""The letter as a FHIR R4 ``ClaimResponse``-shaped resource (``use: preauthorization``,
``status: draft``): the verdict as the outcome and disposition, the matching procedure and drug
codes as ``addItem`` entries, the diagnosis codes, criteria, limits, what to submit and the
disclaimer as ``processNote`` lines. It is a draft for a reviewer, not a payer's adjudication, and
is not validated against a FHIR profile (Da Vinci PAS needs a Claim and profiles this has not)."""

from __future__ import annotations

from app.letters.determination import Determination

SYSTEMS = {"HCPCS": "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "CPT": "http://www.ama-assn.org/go/cpt",
           "ICD-10-CM": "http://hl7.org/fhir/sid/icd-10-cm"}
EXTENSION = "urn:criterion:determination"
OUTCOME = {"yes": "complete", "no": "complete", "conditional": "partial", "insufficient_evidence": "partial",
           "informational": "partial", "cannot_answer": "error"}


def claim_response(d: Determination) -> dict:
    notes = [f"{c.status_label}: {c.text} Evidence: {c.evidence or '-'} {_refs(c.citations)}" for c in d.criteria]
    notes += [f"Limit: {line.text} {_refs(line.citations)}" for line in d.limits]
    notes += [f"To submit: {item}" for item in d.to_submit]
    diagnoses = [c for c in d.matching_codes() if c.system.startswith("ICD")]
    if diagnoses:
        notes.append("Diagnosis codes the policy lists for this request: " +
                     "; ".join(f"{c.code} {c.description}".strip() for c in diagnoses))
    notes += [f"[{c.id}] {c.title} ({c.document_id}) {c.section}: \u201c{c.quote}\u201d" for c in d.citations]
    notes.append(d.disclaimer)
    policy = d.policy
    resource = {
        "resourceType": "ClaimResponse",
        "id": d.reference,
        "status": "draft",
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "use": "preauthorization",
        "patient": _party(d.member.name, d.member.identifier, "member"),
        "created": d.prepared_on,
        "insurer": {"display": policy.issuer if policy and policy.issuer else "not stated"},
        "requestor": _party(d.requester.name, d.requester.identifier, "requesting provider"),
        "outcome": OUTCOME.get(d.verdict, "partial"),
        "disposition": f"{d.verdict_label}. {d.summary}",
        "preAuthRef": d.reference,
        "extension": [{"url": f"{EXTENSION}:verdict", "valueCode": d.verdict}],
        "processNote": [{"number": n, "type": "print", "text": text} for n, text in enumerate(notes, start=1)],
    }
    if policy is not None:
        resource["extension"].append({"url": f"{EXTENSION}:policy", "valueString":
                                      f"{policy.title} ({policy.document_id}), version {policy.version}, "
                                      f"effective {policy.effective_date or 'not stated'}"})
    items = [{"productOrService": {"coding": [{"system": SYSTEMS[c.system], "code": c.code,
                                               **({"display": c.description} if c.description else {})}]}}
             for c in d.matching_codes() if c.system in ("HCPCS", "CPT")]
    if items:
        resource["addItem"] = items
    return resource


def _party(name: str, identifier: str, role: str) -> dict:
    party: dict = {"display": name or f"({role}: to be completed)"}
    if identifier:
        party["identifier"] = {"value": identifier}
    return party


def _refs(numbers: list[int]) -> str:
    return " ".join(f"[{n}]" for n in numbers)
