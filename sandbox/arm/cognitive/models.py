"""Cognitive Services rules: errors, soft-deleted accounts, quota and validation (no HTTP)."""

from __future__ import annotations

import copy
import re
from typing import Any

from infra.catalog.cognitive import (
    ACCOUNT_NAME_PATTERN,
    ACCOUNT_SKUS,
    DEPLOYMENT_SKUS,
    MODEL_FORMAT,
    OPENAI_FORMAT_KINDS,
    SOFT_DELETE_RETENTION_HOURS,
    default_quota,
    model_problem,
    quota_usage_name,
)
from sandbox.core import ArmError, armid
from sandbox.core.clock import iso
from sandbox.core.resource import as_int, forget_identity
from sandbox.core.state import SandboxState

NAMESPACE = "Microsoft.CognitiveServices"
ACCOUNT_TYPE = "Microsoft.CognitiveServices/accounts"
DEPLOYMENT_TYPE = "Microsoft.CognitiveServices/accounts/deployments"
PROJECT_TYPE = "Microsoft.CognitiveServices/accounts/projects"
ACCOUNTS = "/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/accounts"
ACCOUNT = ACCOUNTS + "/{account}"
DEPLOYMENTS = ACCOUNT + "/deployments"
DELETED = (
    "/subscriptions/{sub}/providers/Microsoft.CognitiveServices/locations/{loc}"
    "/resourceGroups/{rg}/deletedAccounts/{account}"
)
ACCOUNT_SECONDS = 30.0  # simulated provisioning of an account
DEPLOYMENT_SECONDS = 60.0  # simulated model deployment create/update
DELETE_SECONDS = 30.0
RETRY_AFTER = 5
RETENTION_SECONDS = SOFT_DELETE_RETENTION_HOURS * 3600.0
DELETED_KIND = "cognitiveservices:deletedaccount"
PATCHABLE = (
    "disableLocalAuth",
    "publicNetworkAccess",
    "networkAcls",
    "restrictOutboundNetworkAccess",
    "allowedFqdnList",
    "allowProjectManagement",
)


# -- errors -------------------------------------------------------------------------------------
def busy(account_id: str) -> ArmError:
    # Src: ops-pitfalls O-1 (hashicorp/terraform-provider-azurerm#22607 and others).
    return ArmError(
        409,
        "RequestConflict",
        f"Another operation is being performed on the parent resource '{account_id}'. "
        "Please try again later.",
    )


def flag_must_be_set(account_id: str) -> ArmError:
    # Src: ops-pitfalls S-1 (Azure/azure-cli#18146, Azure-Samples/azure-search-openai-demo#155).
    return ArmError(
        409,
        "FlagMustBeSetForRestore",
        f"An existing resource with ID '{account_id}' has been soft-deleted. To restore the "
        "resource, you must specify 'restore' to be 'true' in the property. If you don't want "
        "to restore existing resource, please purge it first.",
    )


def domain_in_use(subdomain: str) -> ArmError:
    # Src: ops-pitfalls S-2 (microsoft/microsoft-foundry-for-vscode#52,
    # Azure-Samples/azure-search-openai-demo#1093).
    return ArmError(
        409,
        "CustomDomainInUse",
        f"Please pick a different name. The subdomain name '{subdomain}' is not available as "
        "it's already used by a resource. If the resource using the name was deleted in the "
        "last 48 hours, you may need to purge the deleted resource.",
    )


def insufficient_quota(need: float, model: str, sku: str, used: float, limit: float) -> ArmError:
    # Src: ops-pitfalls O-4 (microsoft/Deploy-Your-AI-Application-In-Production#27); the live
    # text continues after "the quota limit is L" with details not reproduced here.
    return ArmError(
        400,
        "InsufficientQuota",
        f"This operation require {num(need)} new capacity in quota Tokens Per Minute "
        f"(thousands) - {model} - {sku}, which is bigger than the current available capacity "
        f"{num(max(0.0, limit - used))}. The current quota usage is {num(used)} and the quota "
        f"limit is {num(limit)}.",
    )


def invalid_property(message: str) -> ArmError:
    # Code of live refusals of deployment properties (Azure/bicep#16642).
    return ArmError(400, "InvalidResourceProperties", message)


def num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# -- soft-deleted accounts ----------------------------------------------------------------------
def deleted_id(account: dict[str, Any]) -> str:
    rid = armid.parse(account["id"])
    return (
        f"/subscriptions/{rid.subscription}/providers/{NAMESPACE}/locations/"
        f"{account['location']}/resourceGroups/{rid.resource_group}/deletedAccounts/{rid.name}"
    )


def deleted_records(state: SandboxState) -> list[dict[str, Any]]:
    """Soft-deleted accounts still within retention; expired ones are purged on the way."""
    live = []
    for rec in state.store.records(DELETED_KIND):
        if "account" not in rec:
            continue
        if rec["purgeAt"] <= state.clock.now():
            purge(state, rec)
        else:
            live.append(rec)
    return live


def purge(state: SandboxState, rec: dict[str, Any]) -> None:
    forget_identity(state, rec["account"])
    state.store.delete_record(DELETED_KIND, armid.key(rec["account"]["id"]))


def find_deleted(
    state: SandboxState, rg: str, name: str, location: str | None = None
) -> dict[str, Any] | None:
    for rec in deleted_records(state):
        rid = armid.parse(rec["account"]["id"])
        same_loc = location is None or rec["account"]["location"] == location.lower()
        same_rg = (rid.resource_group or "").lower() == rg.lower()
        if same_loc and same_rg and (rid.name or "").lower() == name.lower():
            return rec
    return None


def record(state: SandboxState, account_id: str) -> dict[str, Any]:
    return state.store.record(DELETED_KIND, armid.key(account_id)) or {"deployments": []}


def deleted_view(rec: dict[str, Any]) -> dict[str, Any]:
    doc = public(copy.deepcopy(rec["account"]))
    doc["id"] = deleted_id(rec["account"])
    doc["properties"].update(deletionDate=iso(rec["deletedAt"]), scheduledPurgeDate=iso(rec["purgeAt"]))
    return doc


# -- quota --------------------------------------------------------------------------------------
def all_deployments(state: SandboxState) -> list[tuple[str, dict[str, Any]]]:
    """(location, deployment) for live accounts and soft-deleted ones alike."""
    out = []
    for dep in state.store.find(type=DEPLOYMENT_TYPE):
        account = state.store.get(dep["id"][: dep["id"].lower().rindex("/deployments/")])
        if account is not None:
            out.append((account["location"], dep))
    for rec in deleted_records(state):
        out += [(rec["account"]["location"], dep) for dep in rec["deployments"]]
    return out


def bucket_of(dep: dict[str, Any]) -> str:
    return quota_usage_name(dep["sku"]["name"], dep["properties"]["model"]["name"])


def usage_of(state: SandboxState, location: str, bucket: str) -> float:
    deps = all_deployments(state)
    return sum(
        float(d["sku"].get("capacity") or 0) for loc, d in deps if loc == location and bucket_of(d) == bucket
    )


def limit_of(state: SandboxState, location: str, bucket: str) -> float:
    """The operator's limit if set, else the default quota for the model and sku (catalog)."""
    sku, model = bucket.split(".", 2)[1:]
    return state.quotas.limit(NAMESPACE, location, bucket, default_quota(sku, model))


def check_quota(state: SandboxState, location: str, new: dict[str, Any], old: dict[str, Any] | None) -> None:
    """Only the increase counts when a deployment grows within the same bucket (O-4)."""
    bucket = bucket_of(new)
    held = float(old["sku"].get("capacity") or 0) if old and bucket_of(old) == bucket else 0.0
    need = float(new["sku"]["capacity"]) - held
    used, limit = usage_of(state, location, bucket), limit_of(state, location, bucket)
    if need > 0 and used + need > limit:
        sku, model = bucket.split(".", 2)[1:]
        raise insufficient_quota(need, model, sku, used, limit)


def usage_doc(state: SandboxState, location: str, bucket: str) -> dict[str, Any]:
    sku, model = bucket.split(".", 2)[1:]
    return {
        "name": {
            "value": bucket,
            "localizedValue": f"Tokens Per Minute (thousands) - {model} - {sku}",
        },
        "currentValue": usage_of(state, location, bucket),
        "limit": limit_of(state, location, bucket),
        "unit": "Count",
    }


def public(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k != "keys"}


def endpoints_of(kind: str, subdomain: str | None, location: str) -> tuple[str, dict[str, str]]:
    """`https://{sub}.openai.azure.com/` for OpenAI, `.cognitiveservices.azure.com/` otherwise."""
    if not subdomain:
        endpoint = f"https://{location}.api.cognitive.microsoft.com/"
    elif kind == "OpenAI":
        endpoint = f"https://{subdomain}.openai.azure.com/"
    else:
        endpoint = f"https://{subdomain}.cognitiveservices.azure.com/"
    names = {
        "OpenAI": ["OpenAI Language Model Instance API"],
        "AIServices": ["OpenAI Language Model Instance API", "Azure AI Model Inference API"],
        "FormRecognizer": ["FormRecognizer"],
    }.get(kind, [kind])
    extra = {}
    if kind == "AIServices" and subdomain:
        extra["OpenAI Language Model Instance API"] = f"https://{subdomain}.openai.azure.com/"
        # Foundry templates read `properties.endpoints['AI Foundry API']` and append
        # `api/projects/<project>` (Azure-Samples Foundry Bicep samples, avm ai-foundry outputs).
        extra["AI Foundry API"] = foundry_endpoint(subdomain)
    return endpoint, {n: endpoint for n in names} | extra


def foundry_endpoint(subdomain: str) -> str:
    return f"https://{subdomain}.services.ai.azure.com/"


def check_subdomain(state: SandboxState, subdomain: str, own_id: str) -> None:
    """Subdomains are global and stay taken while an account is soft-deleted (S-2)."""
    taken = [d for d in state.store.find(type=ACCOUNT_TYPE) if armid.key(d["id"]) != armid.key(own_id)]
    taken += [rec["account"] for rec in deleted_records(state)]
    for doc in taken:
        if (doc["properties"].get("customSubDomainName") or "").lower() == subdomain.lower():
            raise domain_in_use(subdomain)


# -- validation ---------------------------------------------------------------------------------
_ACCOUNT_NAME = re.compile(ACCOUNT_NAME_PATTERN)
SERVER_FIELDS = ("dateCreated", "internalId", "isMigrated")


def check_account(name: str, body: dict[str, Any], existing: dict[str, Any] | None) -> tuple[str, str]:
    """(kind, sku) of an account PUT, or the refusal Azure gives, before anything is written."""
    if existing is None and not _ACCOUNT_NAME.match(name):
        # [unverified] code and text: ARM's generic refusal; the rule is the resource-name-rules page.
        raise ArmError(
            400,
            "InvalidResourceName",
            f"Resource name '{name}' is invalid. The name can contain only letters, digits and "
            "hyphens, must start and end with a letter or digit and be 2 to 64 characters long.",
        )
    kind = str(body.get("kind") or "")
    if kind not in ACCOUNT_SKUS:
        # Text: Azure/azure-cli#6190, microsoft/microsoft-foundry-for-vscode#145.
        raise ArmError(
            400,
            "InvalidApiSetId",
            f"The account type '{kind}' is either invalid or unavailable in given region.",
        )
    if existing is not None and existing.get("kind") != kind:
        # Text: Azure/bicep#15446.
        raise ArmError(409, "UpdateKindNotAllowed", "It's not allowed to update kind of API account.")
    sku = str((body.get("sku") or {}).get("name") or "")
    if sku not in ACCOUNT_SKUS[kind]:
        # Text: MicrosoftDocs/azure-docs#103641 (S0 on TextAnalytics, whose SKU is S).
        raise ArmError(
            400,
            "SpecialFeatureOrQuotaIdRequired",
            f"The subscription does not have QuotaId/Feature required by SKU '{sku}' from kind '{kind}'.",
        )
    return kind, sku


def validated_sku(sku: dict[str, Any] | None) -> dict[str, Any]:
    sku = dict(sku or {})
    if sku.get("name") not in DEPLOYMENT_SKUS:
        # Src: Azure/bicep-registry-modules#6561 ("The deployment sku name 'S0' is invalid.").
        raise invalid_property(f"The deployment sku name '{sku.get('name')}' is invalid.")
    raw = sku.get("capacity", 1)
    capacity = as_int(raw)  # the az CLI sends numbers as strings
    if capacity is None or capacity <= 0:
        # [unverified] text: the sandbox refuses a non-positive capacity as the brief requires.
        raise invalid_property(f"The capacity '{raw}' of account deployment must be greater than 0.")
    sku["capacity"] = capacity
    return sku


def validated_model(account: dict[str, Any], props: dict[str, Any], sku: str) -> dict[str, Any]:
    """The model of a deployment PUT: OpenAI-format models are checked against the region table;
    other formats (DeepSeek, Microsoft, ...) are accepted on AIServices only, unchecked."""
    model = dict(props.get("model") or {})
    fmt, name, version = model.get("format"), model.get("name"), str(model.get("version") or "")
    if not fmt or not name:
        # [unverified] text; format and name are required by the spec's DeploymentModel.
        raise invalid_property("The model format and name of account deployment are required.")
    if fmt != MODEL_FORMAT and account.get("kind") in OPENAI_FORMAT_KINDS:
        problem: tuple[str, str] | None = (
            "DeploymentModelNotSupported",
            f"The model 'Format: {fmt}, Name: {name}, Version: {version}' of account deployment is "
            "not supported.",
        )
    elif fmt == MODEL_FORMAT:
        problem = model_problem(fmt, name, version, sku, account["location"])
    else:
        problem = None
    if problem:
        raise ArmError(400, *problem)
    return model


# -- projects -----------------------------------------------------------------------------------
# Src: specs cognitiveservices.json 2025-06-01 `projectName` has the account name's rule
# [unverified: pattern read from the account parameter; the project's own limits not found].
_PROJECT_NAME = _ACCOUNT_NAME
PROJECT_KINDS = ("AIServices",)


def cannot_delete(nested: list[str]) -> ArmError:
    # Src: Azure/terraform-provider-azapi#894 (409 CannotDeleteResource, full text).
    ids = ", ".join(n.split("/providers/", 1)[1] for n in nested)
    return ArmError(
        409,
        "CannotDeleteResource",
        "Cannot delete resource while nested resources exist. Some existing nested resource IDs "
        f"include: '{ids}'. Please delete all nested resources before deleting this resource.",
    )


def nested_projects(state: SandboxState, account_id: str) -> list[str]:
    return [d["id"] for d in state.store.find(type=PROJECT_TYPE, within=account_id)]


def check_project(name: str, account: dict[str, Any]) -> None:
    """Projects live on Foundry accounts only: kind AIServices with allowProjectManagement."""
    if not _PROJECT_NAME.match(name):
        # [unverified] code and text, as for account names above.
        raise ArmError(
            400,
            "InvalidResourceName",
            f"Resource name '{name}' is invalid. The name can contain only letters, digits and "
            "hyphens, must start and end with a letter or digit and be 2 to 64 characters long.",
        )
    allowed = account.get("kind") in PROJECT_KINDS and account["properties"].get("allowProjectManagement")
    if not allowed:
        # [unverified] code and text: the live refusal was not found. The rule is
        # learn.microsoft.com (Foundry resource = kind AIServices with allowProjectManagement).
        raise ArmError(
            400,
            "BadRequest",
            f"Projects are not supported on account '{account['name']}' of kind "
            f"'{account.get('kind')}': projects need kind 'AIServices' with "
            "'allowProjectManagement' set to true.",
        )
