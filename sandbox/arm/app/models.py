"""Container Apps rules (no HTTP): names, resources, scale, secrets, registries, merge patch,
provisioning outcomes (image pulls, revision activation) and revision views."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import secrets
import string
import uuid
from decimal import Decimal
from typing import Any

from infra.catalog.container_apps import (
    APP_NAME_PATTERN,
    CPU_MEMORY_PAIRS,
    MAX_REPLICAS_CEILING,
    cpu_memory_problem,
    memory_gi,
    replica_bounds_problem,
)
from sandbox.arm import insights, registry
from sandbox.core import ArmError, rbac
from sandbox.core.clock import iso
from sandbox.core.state import SandboxState

ENV_TYPE = "Microsoft.App/managedEnvironments"
APP_TYPE = "Microsoft.App/containerApps"
REV_TYPE = "Microsoft.App/containerApps/revisions"
RG = "/subscriptions/{sub}/resourceGroups/{rg}"
ENV = RG + "/providers/Microsoft.App/managedEnvironments"
APP = RG + "/providers/Microsoft.App/containerApps"
ENV_CREATE_SECONDS = 120.0  # simulated; real environments take minutes
APP_PROVISION_SECONDS = 60.0
DELETE_SECONDS = 30.0
RETRY_AFTER = 5
DEFAULT_MAX_REPLICAS = 10  # SDK docstring of Scale.max_replicas
DEFAULT_COOLDOWN = 300  # scale-app docs / SDK docstring
DEFAULT_POLLING = 30
DEFAULT_RESOURCES = {"cpu": 0.5, "memory": "1Gi"}  # [mem] the service's container default
SECRETS = "aca_secret_values"
APP_NAME = re.compile(APP_NAME_PATTERN)
GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
ENV_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.App/managedEnvironments/[^/]+$",
    re.IGNORECASE,
)
HOST = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d+)?$")
WORDS = (
    ("ashy", "polite", "happy", "calm", "brave", "lively", "gentle", "proud", "icy", "kind"),
    ("sky", "hill", "river", "field", "stone", "meadow", "forest", "pond", "dune", "bay"),
)


def bad_request(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)


def digest(seed: str) -> bytes:
    return hashlib.sha256(seed.lower().encode()).digest()


def ips(seed: str, count: int) -> list[str]:
    """Stable public-looking addresses derived from a resource id."""
    d = digest(seed)
    return [f"20.{d[i * 3]}.{d[i * 3 + 1]}.{d[i * 3 + 2] or 1}" for i in range(count)]


# -- managed environments -----------------------------------------------------------------------
def logs_config(props: dict[str, Any]) -> dict[str, Any]:
    return (props.get("appLogsConfiguration") or {}).get("logAnalyticsConfiguration") or {}


def without_shared_key(props: dict[str, Any]) -> dict[str, Any]:
    """GET never returns the key (ManagedEnvironments_CreateOrUpdate.json response)."""
    out = copy.deepcopy(props)
    logs_config(out).pop("sharedKey", None)
    return out


def default_domain(location: str) -> str:
    """`<adjective><noun>-<8 hex>.<location>.azurecontainerapps.io` (#66, Revisions_Get.json)."""
    adj, noun = secrets.choice(WORDS[0]), secrets.choice(WORDS[1])
    return f"{adj}{noun}-{secrets.token_hex(4)}.{location}.azurecontainerapps.io"


def validate_logs(state: SandboxState, props: dict[str, Any], old: dict[str, Any]) -> None:
    """customerId must be a GUID naming a workspace, with one of its shared keys.

    Texts: microsoft/azure-container-apps#126 and #109 (CustomerId), #990 and
    hashicorp/terraform-provider-azurerm#29244 (invalid configuration). #990 also reports that
    re-sending an existing environment without `sharedKey` is accepted.
    """
    la = logs_config(props)
    if not la:
        return
    customer = la.get("customerId")
    if not isinstance(customer, str) or not GUID.match(customer):
        raise bad_request(
            "InvalidRequestParameterWithDetails",
            "LogAnalyticsConfiguration.CustomerId is invalid.  "
            "CustomerId must be a GUID without additional whiteSpace.",
        )
    key = la.get("sharedKey")
    if key is None and str(logs_config(old).get("customerId", "")).lower() == customer.lower():
        return
    ws = insights.workspace_by_customer_id(state, customer)
    if ws is None or key not in ws["keys"].values():
        raise bad_request(
            "InvalidRequestParameterWithDetails",
            "LogAnalyticsConfiguration is invalid.  Must provide a valid LogAnalyticsConfiguration",
        )


def env_of(app: dict[str, Any]) -> str:
    props = app["properties"]
    return str(props.get("managedEnvironmentId") or props.get("environmentId") or "").lower()


def env_busy(doc: dict[str, Any]) -> None:
    state = doc["properties"].get("provisioningState")
    if state not in ("Succeeded", "Failed", "Canceled"):
        # Text: microsoft/azure-container-apps#701 and #1112.
        raise ArmError(
            409,
            "ManagedEnvironmentOperationInProgress",
            f"Cannot modify Container Apps environment {doc['name']} because another operation "
            "is in progress.",
        )


def apps_in(state: SandboxState, env: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in state.store.find(type=APP_TYPE) if env_of(a) == env["id"].lower()]


def environment_for(state: SandboxState, props: dict[str, Any]) -> dict[str, Any]:
    """The provisioned environment an app names, else the service's refusal."""
    env_id = props.get("environmentId") or props.get("managedEnvironmentId") or ""
    if not isinstance(env_id, str) or not ENV_ID.match(env_id):
        # Text: microsoft/azure-container-apps#194.
        raise bad_request("InvalidManagedEnvironmentId", f"Invalid ManagedEnvironmentId value '{env_id}'.")
    env = state.store.get(env_id)
    if env is None:
        # Code: arm-facts §6; the message text is [mem].
        raise bad_request("ManagedEnvironmentNotFound", f"Managed Environment '{env_id}' was not found.")
    if env["properties"].get("provisioningState") != "Succeeded":
        # Text: microsoft/azure-container-apps#868, #1208, #1778.
        raise bad_request(
            "ManagedEnvironmentNotProvisioned",
            f"The environment '{env['id']}' has not been provisioned successfully.",
        )
    return env


def app_identity(
    state: SandboxState, app: str, given: Any, old: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The app's identity block: a system-assigned principal (kept across updates) and the
    principal/client ids of its user-assigned identities."""
    if not isinstance(given, dict) or given.get("type") in (None, "None"):
        return None
    kinds = {k.strip().lower() for k in str(given["type"]).split(",")}
    out: dict[str, Any] = {"type": given["type"]}
    if "systemassigned" in kinds:
        out["principalId"] = (old or {}).get("principalId") or str(uuid.uuid4())
        out["tenantId"] = state.config.tenant_id
        if state.directory.get(out["principalId"]) is None:
            state.directory.add(
                out["principalId"],
                "ServicePrincipal",
                display_name=app,
                visible_at=state.clock.now() + state.config.principal_replication_delay,
            )
    uais = {}
    for uai_id in (given.get("userAssignedIdentities") or {}) if "userassigned" in kinds else {}:
        uai = state.store.get(uai_id) or {"properties": {}}
        uais[uai_id] = {k: uai["properties"].get(k) for k in ("principalId", "clientId")}
    if uais:
        out["userAssignedIdentities"] = uais
    return out


# -- JSON merge patch ---------------------------------------------------------------------------
def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386: objects merge recursively, `null` removes a member, anything else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    out = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = merge_patch(out.get(key), value)
    return out


def with_secret_values(state: SandboxState, doc: dict[str, Any]) -> dict[str, Any]:
    """The app as its owner last wrote it: stored secret values put back for the merge."""
    out = copy.deepcopy(doc)
    values = state.store.record(SECRETS, doc["id"]) or {}
    for secret in (out["properties"].get("configuration") or {}).get("secrets") or []:
        if secret["name"] in values:
            secret["value"] = values[secret["name"]]
    return out


def split_secrets(config: dict[str, Any]) -> dict[str, str]:
    """Keep names (and Key Vault references) in the document, values aside (C-5)."""
    values, public, invalid = {}, [], []
    for secret in config.get("secrets") or []:
        name = secret.get("name", "")
        if secret.get("value") is not None:
            values[name] = secret["value"]
            public.append({"name": name})
        elif secret.get("keyVaultUrl") and secret.get("identity"):
            public.append({k: secret[k] for k in ("name", "keyVaultUrl", "identity")})
        else:
            invalid.append(name)
    if invalid:
        # Text: pulumi/pulumi-azure-native#3198 and user reports quoting the live error.
        names = ", ".join(f"'{n}'" for n in invalid)
        raise bad_request(
            "ContainerAppSecretInvalid",
            f"Container app secret(s) with name(s) {names} are invalid: value or keyVaultUrl and "
            "identity should be provided",
        )
    if "secrets" in config:
        config["secrets"] = public
    return values


def check_scale(app: str, scale: dict[str, Any]) -> None:
    scale.setdefault("maxReplicas", DEFAULT_MAX_REPLICAS)
    scale.setdefault("cooldownPeriod", DEFAULT_COOLDOWN)
    scale.setdefault("pollingInterval", DEFAULT_POLLING)
    low, high = scale.get("minReplicas") or 0, scale["maxReplicas"]
    if replica_bounds_problem(low, high):
        # Code: ContainerAppInvalidScaleSpec (live error quoted in user reports); text shape:
        # MicrosoftDocs/azure-docs#89742, with today's ceiling from the catalog.
        raise bad_request(
            "ContainerAppInvalidScaleSpec",
            f"The scale options provided for Container App '{app}' is incorrect. The values must "
            "be positive, maxReplicas must not be less than minReplicas. The maxReplicas must "
            f"not be bigger than {MAX_REPLICAS_CEILING}.",
        )


def gi(memory: Any) -> Decimal:
    """GiB of a `Gi`/`Mi` quantity; -1 for anything else, which no allowed pair matches."""
    value = memory_gi(str(memory))
    return Decimal("-1") if value is None else value


def check_name(name: str) -> None:
    """Checked on create only, as the service does (a name cannot change afterwards)."""
    if not APP_NAME.match(name):
        # Text: Azure/azure-dev report quoting the live 400 (find_string "ContainerAppInvalidName").
        raise bad_request(
            "ContainerAppInvalidName",
            f"Invalid ContainerApp name '{name}'. A name must consist of lower case alphanumeric "
            "characters or '-', start with an alphabetic character, and end with an alphanumeric "
            "character and cannot have '--'. The length must be between 2 and 32 characters "
            "inclusive.",
        )


def app_busy(name: str) -> ArmError:
    # Text: microsoft/azure-container-apps#1731 (the quoted message is cut after "provisioning
    # op"; "operation." completes it [unverified]). Code: audit row, many CI reports.
    return ArmError(
        409,
        "ContainerAppOperationInProgress",
        f"Cannot modify a container app '{name}' because there is an active provisioning operation.",
    )


def env_has_apps(name: str, count: int) -> ArmError:
    # Code: audit row (crossplane test script, user runbooks). Text [unverified]: shaped on the
    # sibling ManagedEnvironmentHasContainerAppsJobs message quoted there.
    return ArmError(
        409,
        "ManagedEnvironmentHasContainerApps",
        f"The specified environment {name} cannot be deleted because it still contains {count} "
        "Container Apps.",
    )


def check_resources(template: dict[str, Any]) -> None:
    """The *sum* over all containers must be an allowed pair (ContainerAppInvalidResourceTotal)."""
    cpu, mem = Decimal(0), Decimal(0)
    for container in template.get("containers") or []:
        res = container.setdefault("resources", {})
        for key, value in DEFAULT_RESOURCES.items():
            res.setdefault(key, value)
        cpu += Decimal(str(res["cpu"]))
        mem += gi(res["memory"])
    if cpu_memory_problem(float(cpu), f"{mem}Gi"):
        pairs = "; ".join(f"[cpu: {c}, memory: {m}]" for c, m in CPU_MEMORY_PAIRS.items())
        raise bad_request(
            "ContainerAppInvalidResourceTotal",
            f"The total requested CPU and memory resources for this application (CPU: {cpu}, "
            f"memory: {mem}Gi) is invalid. Total CPU and memory for all containers defined in a "
            f"Container App must add up to one of the following CPU - Memory combinations: {pairs}",
        )


def check_registries(config: dict[str, Any]) -> None:
    for entry in config.get("registries") or []:
        server = str(entry.get("server") or "")
        if not HOST.match(server):
            # Text: Azure-Samples/azure-search-openai-demo#2139 (the tail is cut there).
            raise bad_request(
                "ContainerAppInvalidRegistryServerValue",
                f"Property 'registries.server' has an invalid value '{server}'. A value consist of "
                "hostname and custom port(if present). Hostname must consist of lower case "
                "alphanumeric characters or '-', and must start and end with an alphanumeric "
                "character.",
            )


def ingress(app: str, config: dict[str, Any], domain: str) -> None:
    ingress = config.get("ingress")
    if not ingress:
        return
    ingress.setdefault("transport", "Auto")
    ingress.setdefault("allowInsecure", False)
    ingress.setdefault("traffic", [{"weight": 100, "latestRevision": True}])
    # [mem] internal ingress lives under `internal.` of the environment domain.
    ingress["fqdn"] = f"{app}.{domain}" if ingress.get("external") else f"{app}.internal.{domain}"


def suffix() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(7))


def canon(template: Any) -> str:
    return json.dumps(template, sort_keys=True)


# -- provisioning ---------------------------------------------------------------------------------------
def provision_error(app: str, details: str) -> dict[str, str]:
    # Shape: microsoft/azure-container-apps#1061 (operation status of a failed revision).
    return {
        "code": "ContainerAppOperationError",
        "message": (f"Failed to provision revision for container app '{app}'. Error details: {details}"),
    }


def pull_failure(state: SandboxState, app: dict[str, Any], rev: dict[str, Any]) -> Any:
    """The live error when an image on a sandbox registry cannot be pulled with its identity."""
    config = app["properties"].get("configuration") or {}
    entries = {str(r.get("server", "")).lower(): r for r in config.get("registries") or []}
    template = rev["properties"]["template"]
    for container in (template.get("initContainers") or []) + (template.get("containers") or []):
        image = str(container.get("image", ""))
        server = image.split("/", 1)[0].lower() if "/" in image else ""
        acr = registry_at(state, server)
        ident = (entries.get(server) or {}).get("identity")
        if acr is None or not ident or can_pull(state, app, ident, acr["id"]):
            continue
        return provision_error(
            app["name"],
            "The following field(s) are either invalid or missing. Field "
            f"'template.containers.{container.get('name')}.image' is invalid with details: "
            f'\'Invalid value: "{image}": unable to pull image using Managed identity {ident} '
            f"for registry {server}';..",
        )
    return None


def registry_at(state: SandboxState, server: str) -> dict[str, Any] | None:
    if not server.endswith(registry.LOGIN_SUFFIX):
        return None
    return next(
        (d for d in state.store.find(type=registry.TYPE) if d["properties"]["loginServer"] == server),
        None,
    )


def principal_of(app: dict[str, Any], ident: str) -> str | None:
    identity = app.get("identity") or {}
    if ident.lower() == "system":
        return identity.get("principalId")
    uais = {k.lower(): v for k, v in (identity.get("userAssignedIdentities") or {}).items()}
    return (uais.get(ident.lower()) or {}).get("principalId")


def can_pull(state: SandboxState, app: dict[str, Any], ident: str, registry_id: str) -> bool:
    """Pulling is the registry's `pull/read` action (AcrPull, AcrPush, Reader, Contributor,
    Owner grant it), seen only once the assignment has propagated."""
    principal = principal_of(app, ident)
    access = rbac.Access("Microsoft.ContainerRegistry/registries/pull/read", registry_id)
    return bool(principal) and rbac.permits(state, str(principal), access, settled=True)


def fail_provisioning(state: SandboxState, app: dict[str, Any], rev: Any, error: dict[str, Any]) -> None:
    app["properties"]["provisioningState"] = "Failed"
    state.store.put(app)
    if rev is not None:
        rev["properties"].update(
            provisioningState="Failed", active=False, provisioningError=error.get("message", "")
        )
        rev.setdefault("sandbox", {})["failedAt"] = state.clock.now()
        state.store.put(rev)


def succeed_provisioning(state: SandboxState, app: dict[str, Any], rev: Any, when: float) -> None:
    props = app["properties"]
    props.update(provisioningState="Succeeded", runningStatus="Running")
    if rev is not None:
        rev["properties"].update(provisioningState="Provisioned", lastActiveTime=iso(when))
        rev["sandbox"]["readyAt"] = when
        state.store.put(rev)
        props["latestReadyRevisionName"] = rev["name"]
        if props["configuration"].get("activeRevisionsMode", "Single").lower() == "single":
            deactivate_others(state, app["id"], rev["name"])
    state.store.put(app)


def deactivate_others(state: SandboxState, app_id: str, keep: str) -> None:
    for other in state.store.find(type=REV_TYPE, within=app_id):
        if other["name"] != keep and other["properties"].get("active"):
            other["properties"]["active"] = False
            state.store.put(other)


# -- revisions ----------------------------------------------------------------------------------
def revision_view(state: SandboxState, app: dict[str, Any], rev: dict[str, Any]) -> dict[str, Any]:
    """Replicas, running state and traffic as of now on the simulated clock."""
    out = copy.deepcopy(rev)
    ready_at = out.pop("sandbox", {}).get("readyAt")
    p = out["properties"]
    replicas, running = 0, "Processing"
    if p["provisioningState"] == "Failed":
        running = "Failed"
    elif p["provisioningState"] == "Provisioned":
        replicas, running = replicas_now(state, p, ready_at)
    p.update(replicas=replicas, runningState=running, trafficWeight=traffic(app, rev))
    return out


def replicas_now(state: SandboxState, p: dict[str, Any], ready_at: float) -> tuple[int, str]:
    scale = p["template"].get("scale") or {}
    low = scale.get("minReplicas") or 0
    if not p.get("active"):
        return 0, "ScaledToZero"
    if low >= 1:
        return low, "Running"
    idle = state.clock.now() >= ready_at + scale.get("cooldownPeriod", DEFAULT_COOLDOWN)
    return (0, "ScaledToZero") if idle else (1, "Running")


def traffic(app: dict[str, Any], rev: dict[str, Any]) -> int:
    props = app["properties"]
    ingress = props["configuration"].get("ingress")
    if not ingress or not rev["properties"].get("active"):
        return 0
    if props["configuration"].get("activeRevisionsMode", "Single").lower() == "single":
        return 100 if rev["name"] == props.get("latestReadyRevisionName") else 0
    total = 0
    for rule in ingress.get("traffic") or []:
        latest = rule.get("latestRevision") and rev["name"] == props.get("latestRevisionName")
        if latest or rule.get("revisionName") == rev["name"]:
            total += int(rule.get("weight") or 0)
    return total
