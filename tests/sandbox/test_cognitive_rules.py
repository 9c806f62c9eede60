"""Cognitive Services replace semantics, account/model validation and default quota, through the
official CognitiveServicesManagementClient. Sources are cited per test."""

from __future__ import annotations

import pytest
from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.mgmt.cognitiveservices import CognitiveServicesManagementClient
from azure.mgmt.cognitiveservices.models import (
    Account,
    AccountProperties,
    Deployment,
    DeploymentModel,
    DeploymentProperties,
    Sku,
)
from azure.mgmt.resource.resources import ResourceManagementClient

from infra.catalog.cognitive import default_quota, quota_usage_name


@pytest.fixture
def cog(arm):
    arm(ResourceManagementClient).resource_groups.create_or_update("rg", {"location": "eastus"})
    return arm(CognitiveServicesManagementClient)


def _account(kind: str | None = "OpenAI", sku: str | None = "S0", location: str = "eastus", **props):
    return Account(
        location=location,
        kind=kind,
        sku=Sku(name=sku) if sku else None,
        properties=AccountProperties(**props),
    )


def _deployment(model: str, version: str, sku: str = "GlobalStandard", capacity: int = 1, fmt="OpenAI"):
    props = DeploymentProperties(model=DeploymentModel(format=fmt, name=model, version=version))
    return Deployment(sku=Sku(name=sku, capacity=capacity), properties=props)


def _refused(call) -> tuple[int, str, str]:
    with pytest.raises(HttpResponseError) as exc:
        call()
    return exc.value.status_code, exc.value.error.code, exc.value.error.message


def test_account_put_replaces_and_patch_merges(cog):
    """ARM PUT is create-or-replace: a property or tag left out takes its default (CS spec
    Accounts_Create; audit row "account PUT on existing"); PATCH (Accounts_Update) merges."""
    first = _account(disable_local_auth=True, public_network_access="Disabled")
    first.tags = {"team": "search"}
    cog.accounts.begin_create("rg", "oai", first).result()
    cog.accounts.begin_update("rg", "oai", Account(tags={"team": "rag"})).result()
    merged = cog.accounts.get("rg", "oai")
    assert (merged.properties.disable_local_auth, merged.tags) == (True, {"team": "rag"})

    replaced = cog.accounts.begin_create("rg", "oai", _account()).result()
    assert replaced.properties.disable_local_auth is None
    assert replaced.properties.public_network_access is None
    assert replaced.tags == {}
    assert replaced.properties.internal_id == merged.properties.internal_id  # server-owned, kept


@pytest.mark.parametrize(
    ("kind", "sku", "status", "code", "text"),
    [
        # Azure/azure-cli#6190, microsoft/microsoft-foundry-for-vscode#145
        ("Bogus", "S0", 400, "InvalidApiSetId", "The account type 'Bogus' is either invalid or unavailable"),
        (None, "S0", 400, "InvalidApiSetId", "The account type '' is either invalid"),
        # MicrosoftDocs/azure-docs#103641
        ("OpenAI", "Z9", 400, "SpecialFeatureOrQuotaIdRequired", "SKU 'Z9' from kind 'OpenAI'"),
        ("TextAnalytics", "S0", 400, "SpecialFeatureOrQuotaIdRequired", "SKU 'S0' from kind 'TextAnalytics'"),
    ],
)
def test_account_kind_and_sku_are_validated_before_any_write(cog, kind, sku, status, code, text):
    got = _refused(lambda: cog.accounts.begin_create("rg", "acct", _account(kind, sku)).result())
    assert got[:2] == (status, code)
    assert text in got[2]
    with pytest.raises(ResourceNotFoundError):
        cog.accounts.get("rg", "acct")


def test_account_name_rules_and_kind_change(cog):
    """Names: 2-64 letters, digits, hyphens, alphanumeric at both ends (resource-name-rules);
    changing kind is 409 UpdateKindNotAllowed (Azure/bicep#15446)."""
    assert _refused(lambda: cog.accounts.begin_create("rg", "bad_name!", _account()).result())[0] == 400
    assert _refused(lambda: cog.accounts.begin_create("rg", "-lead", _account()).result())[0] == 400
    cog.accounts.begin_create("rg", "oai", _account()).result()
    got = _refused(lambda: cog.accounts.begin_create("rg", "oai", _account("AIServices")).result())
    assert got == (409, "UpdateKindNotAllowed", "It's not allowed to update kind of API account.")
    assert cog.accounts.get("rg", "oai").kind == "OpenAI"


def test_models_are_checked_per_region_and_sku(cog):
    """Model availability tables of MicrosoftDocs/azure-ai-docs (model-matrix/standard-global.md,
    standard-chat-completions.md); texts: ops-pitfalls O-5, thunderbug1/LibreChatAzureDeployment#5."""
    cog.accounts.begin_create("rg", "fr", _account(location="francecentral")).result()
    create = cog.deployments.begin_create_or_update
    got = _refused(lambda: create("rg", "fr", "d", _deployment("text-embedding-3-small", "2")).result())
    assert got == (
        400,
        "DeploymentModelNotSupported",
        "The model 'Format: OpenAI, Name: text-embedding-3-small, Version: 2' of account deployment "
        "is not supported.",
    )
    got = _refused(
        lambda: create("rg", "fr", "d", _deployment("gpt-4o-mini", "2024-07-18", "Standard")).result()
    )
    assert got[:2] == (400, "InvalidResourceProperties")
    assert "SKU 'Standard' of account deployment is not supported by the model 'gpt-4o-mini'" in got[2]
    with pytest.raises(ResourceNotFoundError):
        cog.deployments.get("rg", "fr", "d")
    ok = create("rg", "fr", "d", _deployment("gpt-4o-mini", "2024-07-18")).result()
    assert ok.properties.provisioning_state == "Succeeded"


def test_non_openai_formats_deploy_on_ai_services_only(cog):
    """Foundry Models sold by Azure (DeepSeek, Microsoft, ...) deploy on AIServices accounts
    (learn.microsoft.com azure/ai-foundry/model-inference); an OpenAI account refuses them."""
    cog.accounts.begin_create("rg", "ais", _account("AIServices")).result()
    cog.accounts.begin_create("rg", "oai", _account("OpenAI")).result()
    deepseek = _deployment("DeepSeek-R1", "1", fmt="DeepSeek")
    done = cog.deployments.begin_create_or_update("rg", "ais", "ds", deepseek).result()
    assert done.properties.model.format == "DeepSeek"
    got = _refused(lambda: cog.deployments.begin_create_or_update("rg", "oai", "ds", deepseek).result())
    assert got[:2] == (400, "DeploymentModelNotSupported")


def test_default_quota_is_per_model_and_sku(cog):
    """Default-tier quota (quotas-limits.md): gpt-4o GlobalStandard 450 K TPM, gpt-4o-mini 2 M."""
    cog.accounts.begin_create("rg", "oai", _account()).result()
    assert default_quota("GlobalStandard", "gpt-4o") == 450
    assert default_quota("GlobalStandard", "gpt-4o-mini") == 2000
    big = _deployment("gpt-4o", "2024-11-20", capacity=451)
    got = _refused(lambda: cog.deployments.begin_create_or_update("rg", "oai", "big", big).result())
    assert got[:2] == (400, "InsufficientQuota")
    assert "the quota limit is 450" in got[2]
    cog.deployments.begin_create_or_update(
        "rg", "oai", "ok", _deployment("gpt-4o", "2024-11-20", capacity=450)
    ).result()
    usage = {u.name.value: u for u in cog.usages.list("eastus")}[quota_usage_name("GlobalStandard", "gpt-4o")]
    assert (usage.current_value, usage.limit) == (450, 450)
