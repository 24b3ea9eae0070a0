"""The OpenAI-compatible endpoint, driven by the official ``openai`` client against the app
served by uvicorn on 127.0.0.1."""

from __future__ import annotations

import openai
import pytest

from app.service import create_app
from service_kit import KEYS, SEED, SEED_PATIENT, served


@pytest.fixture
def api(settings):
    with served(create_app(settings)) as url:
        yield openai.OpenAI(base_url=f"{url}/v1", api_key=KEYS["clinician"], max_retries=0, timeout=30)


def test_the_openai_client_gets_a_cited_markdown_answer(api):
    assert [m.id for m in api.models.list().data] == ["criterion"]
    reply = api.chat.completions.create(model="criterion", messages=[
        {"role": "system", "content": "You are a helpful assistant."},
        {"role": "system", "content": f"Patient: {SEED_PATIENT}"},
        {"role": "user", "content": SEED},
    ])
    text = reply.choices[0].message.content
    assert reply.model == "criterion" and reply.choices[0].finish_reason == "stop"
    assert text.startswith("**Verdict: ") and "### References" in text
    assert "[1] Immune globulin (policies/immune-globulin)" in text and "maintenance" in text.lower()
    assert reply.usage.total_tokens > 0
    extra = reply.model_dump()  # Criterion's documented extensions ride beside OpenAI's fields
    assert text.startswith(f"**Verdict: {extra['verdict'].replace('_', ' ')}**") and extra["citations"][0]["id"] == 1
    assert extra["citations"][0]["quote"] in text and extra["citations"][0]["document_id"] == "policies/immune-globulin"


def test_streaming_follow_up_in_openai_format(api):
    stream = api.chat.completions.create(model="criterion", stream=True, messages=[
        {"role": "user", "content": SEED},
        {"role": "assistant", "content": "**Verdict: conditional** …"},
        {"role": "user", "content": "what about for CIDP?"},
    ])
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "Immune globulin > CIDP" in text.split("### References")[1].splitlines()[1]


def test_openai_errors_reach_the_client(api, settings):
    with pytest.raises(openai.NotFoundError) as missing:
        api.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": SEED}])
    assert missing.value.response.json()["error"]["code"] == "model_not_found"
    bad = openai.OpenAI(base_url=api.base_url, api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        bad.chat.completions.create(model="criterion", messages=[{"role": "user", "content": SEED}])
    with pytest.raises(openai.UnprocessableEntityError):
        api.chat.completions.create(model="criterion", messages=[{"role": "system", "content": "hello"}])
