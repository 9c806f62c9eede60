"""Azure OpenAI data plane through the unmodified `openai` SDK (AzureOpenAI and the v1 OpenAI client)."""

from __future__ import annotations

import math
import ssl
from pathlib import Path
from typing import Any

import httpx2
import openai
import pytest
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import Sandbox
from sandbox.arm.cognitive import ACCOUNT_SECONDS, DEPLOYMENT_SECONDS
from sandbox.testing import scaled_sdk_sleeps
from tests.conftest import built_state, clone_for

SCOPE = "https://cognitiveservices.azure.com/.default"
API = "2024-10-21"
DEPLOYMENTS = {
    "embed": ("text-embedding-3-small", "1", "Standard", 10),
    "large": ("text-embedding-3-large", "1", "GlobalStandard", 10),
    "ada": ("text-embedding-ada-002", "2", "Standard", 10),
    "chat": ("gpt-4o-mini", "2024-07-18", "GlobalStandard", 10),
}


def provision(
    sb: Sandbox, *, advance: bool = False, deployments: dict[str, Any] = DEPLOYMENTS, **props: Any
) -> Any:
    """An AIServices account `ragai` with the given deployments; returns the account."""
    assert sb.connection is not None
    sb.connection.client(ResourceManagementClient).resource_groups.create_or_update(
        "rg", {"location": "eastus"}
    )
    cog = sb.connection.client(CognitiveServicesManagementClient)
    body = {
        "location": "eastus",
        "kind": "AIServices",
        "sku": {"name": "S0"},
        "properties": {"customSubDomainName": "ragai", **props},
    }
    poller = cog.accounts.begin_create("rg", "ragai", body)
    if advance:
        sb.advance(ACCOUNT_SECONDS + 1)
    account = poller.result()
    for name, (model, version, sku, capacity) in deployments.items():
        dep = {
            "sku": {"name": sku, "capacity": capacity},
            "properties": {"model": {"format": "OpenAI", "name": model, "version": version}},
        }
        poller = cog.deployments.begin_create_or_update("rg", "ragai", name, dep)
        if advance:
            sb.advance(DEPLOYMENT_SECONDS + 1)
        poller.result()
    return account


def endpoint(sb: Sandbox) -> str:
    assert sb.connection is not None
    return f"{sb.connection.endpoint}/cognitive/ragai"


def http(sb: Sandbox) -> httpx2.Client:
    assert sb.connection is not None
    return httpx2.Client(verify=ssl.create_default_context(cafile=sb.connection.ca_path))


def user(sb: Sandbox, *roles: str) -> tuple[str, Any]:
    """A service principal holding `roles` on the account, its assignments already propagated."""
    assert sb.connection is not None
    account_id = sb.connection.client(CognitiveServicesManagementClient).accounts.get("rg", "ragai").id
    sp = sb.register_principal(client_id="11111111-2222-3333-4444-555555555555", secret="s3cret")
    for role in roles:
        sb.grant(sp["objectId"], role, scope=account_id)
    sb.advance(301)
    return sp["objectId"], sb.connection.credential("11111111-2222-3333-4444-555555555555", "s3cret")


def azure_client(sb: Sandbox, credential: Any, **kw: Any) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=endpoint(sb),
        api_version=API,
        azure_ad_token_provider=lambda: credential.get_token(SCOPE).token,
        http_client=http(sb),
        **kw,
    )


def key_client(sb: Sandbox, key: str, **kw: Any) -> openai.AzureOpenAI:
    return openai.AzureOpenAI(
        azure_endpoint=endpoint(sb), api_version=API, api_key=key, http_client=http(sb), **kw
    )


def keys(sb: Sandbox) -> str:
    assert sb.connection is not None
    return sb.connection.client(CognitiveServicesManagementClient).accounts.list_keys("rg", "ragai").key1


@pytest.fixture(scope="module")
def provisioned_state(tmp_path_factory: pytest.TempPathFactory, sandbox_keys: Path) -> Path:
    return built_state(tmp_path_factory.mktemp("models") / "sandbox", sandbox_keys, provision)


@pytest.fixture
def sandbox_dir(tmp_path: Path, sandbox_keys: Path, request: pytest.FixtureRequest) -> Path:
    """A test using `models` opens its sandbox on a copy of `provision`'s account, built once."""
    return clone_for(request, tmp_path, sandbox_keys, {"models": "provisioned_state"})


@pytest.fixture
def models(sandbox: Sandbox) -> Sandbox:
    """The sandbox holding `provision`'s account and deployments."""
    return sandbox


def test_embeddings_have_the_models_dimensions_and_similar_texts_are_near(models: Sandbox) -> None:
    _, cred = user(models, "Cognitive Services OpenAI User")
    client = azure_client(models, cred)
    texts = [
        "The cat sat on the mat.",
        "A cat was sitting on a mat.",
        "Quarterly revenue grew by ten percent.",
    ]
    result = client.embeddings.create(model="embed", input=texts)
    vectors = [d.embedding for d in result.data]
    assert [len(v) for v in vectors] == [1536] * 3
    assert all(math.isclose(sum(x * x for x in v), 1.0, rel_tol=1e-4) for v in vectors)
    near = sum(a * b for a, b in zip(vectors[0], vectors[1], strict=True))
    far = sum(a * b for a, b in zip(vectors[0], vectors[2], strict=True))
    assert near > 0.5 > far
    assert result.usage.prompt_tokens > 0 and result.model == "text-embedding-3-small"
    again = client.embeddings.create(model="embed", input=texts[0], encoding_format="float")
    assert again.data[0].embedding == pytest.approx(vectors[0], abs=1e-6)
    assert len(client.embeddings.create(model="large", input="x").data[0].embedding) == 3072
    assert len(client.embeddings.create(model="ada", input="x").data[0].embedding) == 1536
    assert len(client.embeddings.create(model="large", input="x", dimensions=256).data[0].embedding) == 256


def test_dimensions_are_refused_for_ada_and_embeddings_for_a_chat_model(models: Sandbox) -> None:
    client = key_client(models, keys(models), max_retries=0)
    with pytest.raises(openai.BadRequestError, match="does not support specifying dimensions"):
        client.embeddings.create(model="ada", input="x", dimensions=256)
    with pytest.raises(openai.BadRequestError, match="does not work with the specified model"):
        client.embeddings.create(model="chat", input="x")


def test_chat_answers_from_the_given_sources_and_cites_them(models: Sandbox) -> None:
    _, cred = user(models, "Cognitive Services OpenAI User")
    client = azure_client(models, cred)
    sources = (
        "handbook.pdf#page=2: Employees accrue 25 vacation days per year. Unused days expire in March.\n"
        "benefits.docx: The dental plan covers two cleanings per year.\n"
    )
    reply = client.chat.completions.create(
        model="chat",
        messages=[
            {"role": "system", "content": "Answer only from the sources.\n" + sources},
            {"role": "user", "content": "How many vacation days do employees accrue?"},
        ],
    )
    content = reply.choices[0].message.content or ""
    assert "25 vacation days" in content and "[handbook.pdf#page=2]" in content
    assert "dental" not in content
    assert (
        reply.usage is not None
        and reply.usage.total_tokens == reply.usage.prompt_tokens + reply.usage.completion_tokens
    )
    assert reply.choices[0].finish_reason == "stop"


def test_the_v1_route_takes_the_deployment_as_model(models: Sandbox) -> None:
    _, cred = user(models, "Cognitive Services OpenAI User")
    client = openai.OpenAI(
        base_url=endpoint(models) + "/openai/v1/",
        api_key=cred.get_token(SCOPE).token,
        http_client=http(models),
    )
    assert len(client.embeddings.create(model="embed", input="hello").data[0].embedding) == 1536
    with pytest.raises(openai.NotFoundError, match="The API deployment for this resource does not exist"):
        client.embeddings.create(model="text-embedding-3-small", input="hello")


def test_unknown_deployment_is_404_deployment_not_found(models: Sandbox) -> None:
    client = key_client(models, keys(models), max_retries=0)
    with pytest.raises(openai.NotFoundError, match="The API deployment for this resource does not exist"):
        client.embeddings.create(model="nope", input="x")


def test_missing_role_is_permission_denied_naming_the_data_action(models: Sandbox) -> None:
    oid, cred = user(models, "Reader")
    client = azure_client(models, cred, max_retries=0)
    with pytest.raises(openai.AuthenticationError) as err:
        client.embeddings.create(model="embed", input="x")
    assert f"The principal `{oid}` lacks the required data action" in str(err.value)
    assert "Microsoft.CognitiveServices/accounts/OpenAI/deployments/embeddings/action" in str(err.value)


def test_a_token_for_arm_is_refused(models: Sandbox) -> None:
    _, cred = user(models, "Cognitive Services OpenAI User")
    client = openai.AzureOpenAI(
        azure_endpoint=endpoint(models),
        api_version=API,
        azure_ad_token_provider=lambda: cred.get_token("https://management.azure.com/.default").token,
        http_client=http(models),
        max_retries=0,
    )
    with pytest.raises(openai.AuthenticationError, match="audience is incorrect"):
        client.embeddings.create(model="embed", input="x")


def test_keys_are_refused_when_local_auth_is_disabled(sandbox: Sandbox) -> None:
    provision(sandbox, deployments={"embed": DEPLOYMENTS["embed"]}, disableLocalAuth=True)
    assert sandbox.state is not None
    account = next(d for d in sandbox.state.store.find(type="Microsoft.CognitiveServices/accounts"))
    client = key_client(sandbox, account["keys"]["key1"], max_retries=0)
    with pytest.raises(openai.PermissionDeniedError, match="Key based authentication is disabled"):
        client.embeddings.create(model="embed", input="x")


def test_public_network_disabled_refuses_outside_callers(sandbox: Sandbox) -> None:
    provision(sandbox, deployments={"embed": DEPLOYMENTS["embed"]}, publicNetworkAccess="Disabled")
    _, cred = user(sandbox, "Cognitive Services OpenAI User")
    with pytest.raises(openai.PermissionDeniedError, match="Public access is disabled"):
        azure_client(sandbox, cred, max_retries=0).embeddings.create(model="embed", input="x")


def test_tokens_per_minute_follow_capacity_and_answer_429_with_retry_after(sandbox_dir) -> None:
    one = {"embed": ("text-embedding-3-small", "1", "Standard", 1)}  # 1,000 TPM, 6 RPM
    with scaled_sdk_sleeps(10_000), Sandbox(sandbox_dir, time_scale=1.0) as sb:
        provision(sb, advance=True, deployments=one)
        client = key_client(sb, keys(sb), max_retries=0)
        text = " ".join(["word"] * 300)
        raw = client.embeddings.with_raw_response.create(model="embed", input=text)
        assert raw.headers["x-ratelimit-remaining-tokens"] == "700"
        client.embeddings.create(model="embed", input=text)
        client.embeddings.create(model="embed", input=text)
        with pytest.raises(openai.RateLimitError) as err:
            client.embeddings.create(model="embed", input=text)
        assert "exceeded token rate limit" in str(err.value)
        wait = int(err.value.response.headers["retry-after"])
        assert 1 <= wait <= 60
        sb.advance(wait)
        client.embeddings.create(model="embed", input=text)


def test_the_openai_sdk_retry_waits_the_retry_after_on_the_sandbox_clock(sandbox: Sandbox) -> None:
    """The `sandbox` fixture routes the openai SDK's retry sleep to the virtual clock: the retry
    after a 429 waits its Retry-After in simulated time (a wall sleep would leave the clock where
    it was, and the retry would meet the same 429)."""
    provision(sandbox, deployments={"embed": ("text-embedding-3-small", "1", "Standard", 1)})
    client = key_client(sandbox, keys(sandbox), max_retries=1)
    text = " ".join(["word"] * 300)
    for _ in range(3):
        client.embeddings.create(model="embed", input=text)
    assert sandbox.state is not None
    before = sandbox.state.clock.now()
    raw = client.embeddings.with_raw_response.create(model="embed", input=text)
    assert raw.retries_taken == 1
    assert sandbox.state.clock.now() - before >= 1


def test_new_role_assignment_is_not_honoured_before_it_propagates(sandbox_dir) -> None:
    with scaled_sdk_sleeps(10_000), Sandbox(sandbox_dir, time_scale=1.0) as sb:
        account = provision(sb, advance=True, deployments={"embed": DEPLOYMENTS["embed"]})
        sp = sb.register_principal(client_id="11111111-2222-3333-4444-555555555555", secret="s3cret")
        sb.grant(sp["objectId"], "Cognitive Services OpenAI User", scope=account.id)
        assert sb.connection is not None
        cred = sb.connection.credential("11111111-2222-3333-4444-555555555555", "s3cret")
        with pytest.raises(openai.AuthenticationError, match="lacks the required data action"):
            azure_client(sb, cred, max_retries=0).embeddings.create(model="embed", input="x")
        sb.advance(301)
        assert azure_client(sb, cred).embeddings.create(model="embed", input="x").data
