"""Microsoft.App: managed environments, container apps and their revisions (api 2026-07-01).

Wire decisions (sources in the comments beside each rule):
- Environment PUT: 201 `InitializationInProgress` + `Azure-AsyncOperation` on
  `locations/{loc}/managedEnvironmentOperationStatuses/{id}` (spec example
  ManagedEnvironments_CreateOrUpdate.json; the polled URL in hashicorp/terraform-provider-azurerm
  #24583). Env PATCH is JSON merge patch answered 200 (spec lists 200); DELETE 202 + Location.
- App PUT: 200/201 + `Azure-AsyncOperation` on `locations/{loc}/containerappOperationStatuses/
  {id}` (arm-facts §6; microsoft/aspire#7797 shows the polled URL). PATCH: 202 +
  `Azure-AsyncOperation` on `containerappOperationResults` (ContainerApps_Patch.json), JSON
  merge patch (spec: "Patches a Container App using JSON Merge Patch"; RFC 7386: objects merge,
  null deletes, arrays replace). DELETE: 202 + `Azure-AsyncOperation` (ContainerApps_Delete.json).
- A new revision exactly when `properties.template` changes (learn.microsoft.com/azure/
  container-apps/revisions: revision-scope vs application-scope changes; ops-pitfalls C-3: a
  no-op update creates none). Names are `<app>--<suffix>` (same page; 7 random characters
  otherwise, as in ContainerApps_CreateOrUpdate.json). In Single mode the previous revision is
  deactivated only once the new one is ready (same page: no downtime).
- Revision states: Provisioning/Processing while provisioning, then Provisioned/Running
  (Revisions_Get.json); with minReplicas 0 the revision scales to zero after `cooldownPeriod`
  and reports `replicas: 0, runningState: ScaledToZero` (MicrosoftDocs/azure-docs
  container-apps troubleshooting example); inactive revisions report ScaledToZero too
  (yeongseon/azure-container-apps-practical-guide revision-history lab capture).
- Image pulls from a sandbox registry with a managed identity need a pull-capable role
  (AcrPull, AcrPush, Reader, Contributor, Owner: learn.microsoft.com container-registry-roles)
  at or above the registry, checked when provisioning completes; otherwise the operation fails
  `ContainerAppOperationError` with the live text (microsoft/azure-container-apps#1061, C-1).
  Role-assignment propagation delay is not modelled.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import secrets
import string
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from infra.catalog.container_apps import (
    CPU_MEMORY_PAIRS,
    MAX_REPLICAS_CEILING,
    cpu_memory_problem,
    replica_bounds_problem,
)
from infra.catalog.roles import BUILTIN_ROLES
from sandbox.arm import insights, registry
from sandbox.arm.authorization import RA_TYPE
from sandbox.core import ArmError, ArmRequest, ArmResponse, Provider, armid
from sandbox.core.clock import iso
from sandbox.core.errors import resource_not_found
from sandbox.core.lro import Operation
from sandbox.core.odata import page
from sandbox.core.resource import cascade_delete, require, require_location, system_data, without_nulls
from sandbox.core.state import SandboxState

provider = Provider("Microsoft.App")

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
_SECRETS = "aca_secret_values"
_GUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
_ENV_ID = re.compile(
    r"^/subscriptions/[^/]+/resourceGroups/[^/]+/providers/Microsoft\.App/managedEnvironments/[^/]+$",
    re.IGNORECASE,
)
_HOST = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?(:\d+)?$")
_PULL_ROLES = {BUILTIN_ROLES[n].guid for n in ("AcrPull", "AcrPush", "Reader", "Contributor", "Owner")}
_WORDS = (
    ("ashy", "polite", "happy", "calm", "brave", "lively", "gentle", "proud", "icy", "kind"),
    ("sky", "hill", "river", "field", "stone", "meadow", "forest", "pond", "dune", "bay"),
)


def _bad_request(code: str, message: str) -> ArmError:
    return ArmError(400, code, message)


def _digest(seed: str) -> bytes:
    return hashlib.sha256(seed.lower().encode()).digest()


def _ips(seed: str, count: int) -> list[str]:
    """Stable public-looking addresses derived from a resource id."""
    d = _digest(seed)
    return [f"20.{d[i * 3]}.{d[i * 3 + 1]}.{d[i * 3 + 2] or 1}" for i in range(count)]


# -- managed environments -----------------------------------------------------------------------
def _logs_config(props: dict[str, Any]) -> dict[str, Any]:
    return (props.get("appLogsConfiguration") or {}).get("logAnalyticsConfiguration") or {}


def _validate_logs(req: ArmRequest, props: dict[str, Any], old: dict[str, Any]) -> None:
    """customerId must be a GUID naming a workspace, with one of its shared keys.

    Texts: microsoft/azure-container-apps#126 and #109 (CustomerId), #990 and
    hashicorp/terraform-provider-azurerm#29244 (invalid configuration). #990 also reports that
    re-sending an existing environment without `sharedKey` is accepted.
    """
    la = _logs_config(props)
    if not la:
        return
    customer = la.get("customerId")
    if not isinstance(customer, str) or not _GUID.match(customer):
        raise _bad_request(
            "InvalidRequestParameterWithDetails",
            "LogAnalyticsConfiguration.CustomerId is invalid.  "
            "CustomerId must be a GUID without additional whiteSpace.",
        )
    key = la.get("sharedKey")
    if key is None and str(_logs_config(old).get("customerId", "")).lower() == customer.lower():
        return
    ws = insights.workspace_by_customer_id(req.state, customer)
    if ws is None or key not in ws["keys"].values():
        raise _bad_request(
            "InvalidRequestParameterWithDetails",
            "LogAnalyticsConfiguration is invalid.  Must provide a valid LogAnalyticsConfiguration",
        )


def _without_shared_key(props: dict[str, Any]) -> dict[str, Any]:
    """GET never returns the key (ManagedEnvironments_CreateOrUpdate.json response)."""
    out = copy.deepcopy(props)
    _logs_config(out).pop("sharedKey", None)
    return out


def _default_domain(location: str) -> str:
    """`<adjective><noun>-<8 hex>.<location>.azurecontainerapps.io` (#66, Revisions_Get.json)."""
    adj, noun = secrets.choice(_WORDS[0]), secrets.choice(_WORDS[1])
    return f"{adj}{noun}-{secrets.token_hex(4)}.{location}.azurecontainerapps.io"


def _env_busy(doc: dict[str, Any]) -> None:
    state = doc["properties"].get("provisioningState")
    if state not in ("Succeeded", "Failed", "Canceled"):
        # Text: microsoft/azure-container-apps#701 and #1112.
        raise ArmError(
            409,
            "ManagedEnvironmentOperationInProgress",
            f"Cannot modify Container Apps environment {doc['name']} because another operation "
            "is in progress.",
        )


@provider.route("PUT", ENV + "/{name}")
def put_environment(req: ArmRequest) -> ArmResponse:
    body = req.json()
    location = require_location(body)
    existing = req.state.store.get(req.canonical_path)
    if existing is not None:
        _env_busy(existing)
    props = dict(body.get("properties") or {})
    _validate_logs(req, props, (existing or {}).get("properties") or {})
    props = _without_shared_key(props)
    if existing is not None:
        return ArmResponse(200, _save_env(req, existing, props, body.get("tags")))
    props.update(
        defaultDomain=_default_domain(location),
        staticIp=_ips(req.canonical_path, 1)[0],
        provisioningState="InitializationInProgress",
    )
    props.setdefault("zoneRedundant", False)
    doc: dict[str, Any] = {
        "id": req.canonical_path,
        "name": req.params["name"],
        "type": ENV_TYPE,
        "location": location,
        "tags": body.get("tags") or {},
        "properties": props,
        "systemData": system_data(req),
    }
    req.state.store.put(doc, created=req.now())
    monitor = f"/subscriptions/{req.params['sub']}/providers/Microsoft.App/locations/{location}"
    op = req.state.lro.start(
        req,
        style="aao",
        completion="env_ready",
        duration=ENV_CREATE_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=f"{monitor}/managedEnvironmentOperationStatuses/{uuid.uuid4()}",
        retry_after=RETRY_AFTER,
    )
    return ArmResponse(201, doc, req.state.lro.headers(req, op))


def _save_env(req: ArmRequest, doc: dict[str, Any], props: dict[str, Any], tags: Any) -> dict[str, Any]:
    for key in ("defaultDomain", "staticIp", "provisioningState"):
        props[key] = doc["properties"][key]
    doc["properties"] = props
    if tags is not None:
        doc["tags"] = tags
    doc["systemData"] = system_data(req, doc)
    req.state.store.put(doc)
    return doc


@provider.completion("env_ready")
def _env_ready(state: SandboxState, op: Operation) -> None:
    doc = state.store.get(op.resource_id)
    if doc is not None:
        doc["properties"]["provisioningState"] = "Failed" if op.failing else "Succeeded"
        state.store.put(doc)


@provider.route("GET", ENV + "/{name}")
def get_environment(req: ArmRequest) -> dict[str, Any]:
    return require(req, ENV_TYPE)


@provider.route("PATCH", ENV + "/{name}")
def patch_environment(req: ArmRequest) -> dict[str, Any]:
    doc = require(req, ENV_TYPE)
    _env_busy(doc)
    body = req.json()
    merged = merge_patch({"properties": doc["properties"], "tags": doc.get("tags")}, body)
    props = merged.get("properties") or {}
    _validate_logs(req, props, doc["properties"])
    return _save_env(req, doc, _without_shared_key(props), merged.get("tags"))


@provider.route("DELETE", ENV + "/{name}")
def delete_environment(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(req.canonical_path)
    if doc is None:
        return ArmResponse(204)
    doc["properties"]["provisioningState"] = "ScheduledForDelete"
    req.state.store.put(doc)
    monitor = f"/subscriptions/{req.params['sub']}/providers/Microsoft.App/locations/{doc['location']}"
    op = req.state.lro.start(
        req,
        style="location",
        completion="env_deleted",
        duration=DELETE_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=f"{monitor}/managedEnvironmentOperationResults/{uuid.uuid4()}",
        retry_after=RETRY_AFTER,
    )
    return ArmResponse(202, None, req.state.lro.headers(req, op))


@provider.completion("env_deleted")
def _env_deleted(state: SandboxState, op: Operation) -> None:
    if not op.failing:
        cascade_delete(state, op.resource_id)


@provider.route("GET", ENV)
def list_environments_by_group(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=ENV_TYPE, rg=_rg_id(req)))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.App/managedEnvironments")
def list_environments(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=ENV_TYPE))


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


# -- container apps: validation -----------------------------------------------------------------
def _rg_id(req: ArmRequest) -> str:
    return f"/subscriptions/{req.params['sub']}/resourceGroups/{req.params['rg']}"


def _app_id(req: ArmRequest) -> str:
    return f"{_rg_id(req)}/providers/Microsoft.App/containerApps/{req.params['app']}"


def _environment(req: ArmRequest, props: dict[str, Any]) -> dict[str, Any]:
    env_id = props.get("environmentId") or props.get("managedEnvironmentId") or ""
    if not isinstance(env_id, str) or not _ENV_ID.match(env_id):
        # Text: microsoft/azure-container-apps#194.
        raise _bad_request("InvalidManagedEnvironmentId", f"Invalid ManagedEnvironmentId value '{env_id}'.")
    env = req.state.store.get(env_id)
    if env is None:
        # Code: arm-facts §6; the message text is [mem].
        raise _bad_request("ManagedEnvironmentNotFound", f"Managed Environment '{env_id}' was not found.")
    if env["properties"].get("provisioningState") != "Succeeded":
        # Text: microsoft/azure-container-apps#868, #1208, #1778.
        raise _bad_request(
            "ManagedEnvironmentNotProvisioned",
            f"The environment '{env['id']}' has not been provisioned successfully.",
        )
    return env


def _split_secrets(config: dict[str, Any]) -> dict[str, str]:
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
        raise _bad_request(
            "ContainerAppSecretInvalid",
            f"Container app secret(s) with name(s) {names} are invalid: value or keyVaultUrl and "
            "identity should be provided",
        )
    if "secrets" in config:
        config["secrets"] = public
    return values


def _check_scale(app: str, scale: dict[str, Any]) -> None:
    scale.setdefault("maxReplicas", DEFAULT_MAX_REPLICAS)
    scale.setdefault("cooldownPeriod", DEFAULT_COOLDOWN)
    scale.setdefault("pollingInterval", DEFAULT_POLLING)
    low, high = scale.get("minReplicas") or 0, scale["maxReplicas"]
    if replica_bounds_problem(low, high):
        # Code: ContainerAppInvalidScaleSpec (live error quoted in user reports); text shape:
        # MicrosoftDocs/azure-docs#89742, with today's ceiling from the catalog.
        raise _bad_request(
            "ContainerAppInvalidScaleSpec",
            f"The scale options provided for Container App '{app}' is incorrect. The values must "
            "be positive, maxReplicas must not be less than minReplicas. The maxReplicas must "
            f"not be bigger than {MAX_REPLICAS_CEILING}.",
        )


def _gi(memory: Any) -> Decimal:
    text = str(memory).strip()
    try:
        return Decimal(text[:-2]) if text.endswith("Gi") else Decimal("-1")
    except InvalidOperation:
        return Decimal("-1")


def _check_resources(template: dict[str, Any]) -> None:
    """The *sum* over all containers must be an allowed pair (ContainerAppInvalidResourceTotal)."""
    cpu, mem = Decimal(0), Decimal(0)
    for container in template.get("containers") or []:
        res = container.setdefault("resources", {})
        for key, value in DEFAULT_RESOURCES.items():
            res.setdefault(key, value)
        cpu += Decimal(str(res["cpu"]))
        mem += _gi(res["memory"])
    if cpu_memory_problem(float(cpu), f"{mem}Gi"):
        pairs = "; ".join(f"[cpu: {c}, memory: {m}]" for c, m in CPU_MEMORY_PAIRS.items())
        raise _bad_request(
            "ContainerAppInvalidResourceTotal",
            f"The total requested CPU and memory resources for this application (CPU: {cpu}, "
            f"memory: {mem}Gi) is invalid. Total CPU and memory for all containers defined in a "
            f"Container App must add up to one of the following CPU - Memory combinations: {pairs}",
        )


def _check_registries(config: dict[str, Any]) -> None:
    for entry in config.get("registries") or []:
        server = str(entry.get("server") or "")
        if not _HOST.match(server):
            # Text: Azure-Samples/azure-search-openai-demo#2139 (the tail is cut there).
            raise _bad_request(
                "ContainerAppInvalidRegistryServerValue",
                f"Property 'registries.server' has an invalid value '{server}'. A value consist of "
                "hostname and custom port(if present). Hostname must consist of lower case "
                "alphanumeric characters or '-', and must start and end with an alphanumeric "
                "character.",
            )


# -- container apps: identity and server-computed fields -----------------------------------------
def _identity(req: ArmRequest, given: Any, old: dict[str, Any] | None) -> dict[str, Any] | None:
    if not isinstance(given, dict) or given.get("type") in (None, "None"):
        return None
    kinds = {k.strip().lower() for k in str(given["type"]).split(",")}
    out: dict[str, Any] = {"type": given["type"]}
    if "systemassigned" in kinds:
        out["principalId"] = (old or {}).get("principalId") or str(uuid.uuid4())
        out["tenantId"] = req.state.config.tenant_id
        if req.state.directory.get(out["principalId"]) is None:
            req.state.directory.add(
                out["principalId"],
                "ServicePrincipal",
                display_name=req.params["app"],
                visible_at=req.now() + req.state.config.principal_replication_delay,
            )
    uais = {}
    for uai_id in (given.get("userAssignedIdentities") or {}) if "userassigned" in kinds else {}:
        uai = req.state.store.get(uai_id) or {"properties": {}}
        uais[uai_id] = {k: uai["properties"].get(k) for k in ("principalId", "clientId")}
    if uais:
        out["userAssignedIdentities"] = uais
    return out


def _ingress(app: str, config: dict[str, Any], domain: str) -> None:
    ingress = config.get("ingress")
    if not ingress:
        return
    ingress.setdefault("transport", "Auto")
    ingress.setdefault("allowInsecure", False)
    ingress.setdefault("traffic", [{"weight": 100, "latestRevision": True}])
    # [mem] internal ingress lives under `internal.` of the environment domain.
    ingress["fqdn"] = f"{app}.{domain}" if ingress.get("external") else f"{app}.internal.{domain}"


def _suffix() -> str:
    return "".join(secrets.choice(string.ascii_lowercase + string.digits) for _ in range(7))


def _canon(template: Any) -> str:
    return json.dumps(template, sort_keys=True)


# -- container apps: routes ---------------------------------------------------------------------
def _build(req: ArmRequest, body: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
    """Validate a desired app: the document to store, its secret values, the new revision name."""
    location = require_location(body)
    props = without_nulls(copy.deepcopy(body.get("properties") or {}))
    env = _environment(req, props)
    config, template = props.setdefault("configuration", {}), props.setdefault("template", {})
    values = _split_secrets(config)
    _check_scale(req.params["app"], template.setdefault("scale", {}))
    _check_resources(template)
    _check_registries(config)
    config.setdefault("activeRevisionsMode", "Single")
    config.setdefault("maxInactiveRevisions", 100)
    domain = env["properties"]["defaultDomain"]
    _ingress(req.params["app"], config, domain)
    old_props = (existing or {}).get("properties") or {}
    revision = None
    if existing is None or _canon(template) != _canon(old_props.get("template")):
        revision = f"{req.params['app']}--{template.get('revisionSuffix') or _suffix()}"
    latest = revision or old_props.get("latestRevisionName")
    props.update(
        environmentId=env["id"],
        managedEnvironmentId=env["id"],
        provisioningState="InProgress",
        runningStatus=old_props.get("runningStatus", "Progressing"),
        latestRevisionName=latest,
        latestReadyRevisionName=old_props.get("latestReadyRevisionName", ""),
        latestRevisionFqdn=f"{latest}.{domain}" if config.get("ingress") else "",
        outboundIpAddresses=_ips(env["id"], 4),
    )
    doc = {
        "id": (existing or {}).get("id") or _app_id(req),
        "name": (existing or {}).get("name") or req.params["app"],
        "type": APP_TYPE,
        "location": location,
        "tags": body.get("tags") or {},
        "properties": props,
        "systemData": system_data(req, existing),
    }
    identity = _identity(req, body.get("identity"), (existing or {}).get("identity"))
    if identity:
        doc["identity"] = identity
    if body.get("kind"):
        doc["kind"] = body["kind"]
    return {"doc": doc, "values": values, "revision": revision}


def _commit(req: ArmRequest, plan: dict[str, Any], op_kind: str) -> Operation:
    """Store the app (and its new revision) and start the provisioning operation."""
    doc, revision = plan["doc"], plan["revision"]
    failure = None
    if revision and req.state.store.get(f"{doc['id']}/revisions/{revision}") is not None:
        # Text: Azure/terraform-azurerm-avm-res-app-containerapp#115.
        failure = _provision_error(
            doc["name"],
            "The following field(s) are either invalid or missing. Field "
            "'template.revisionsuffix' is invalid with details: 'Invalid value:  revision with "
            "suffix already exists.",
        )
        revision = None
        before = (req.state.store.get(doc["id"]) or doc)["properties"]
        for key in ("latestRevisionName", "latestRevisionFqdn"):
            doc["properties"][key] = before.get(key)
    req.state.store.put(doc, created=req.now())
    req.state.store.put_record(_SECRETS, doc["id"], plan["values"])
    if revision:
        _new_revision(req, doc, revision)
    sub, loc = req.params["sub"], doc["location"]
    return req.state.lro.start(
        req,
        style="aao",
        completion="app_provisioned",
        duration=APP_PROVISION_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=f"/subscriptions/{sub}/providers/Microsoft.App/locations/{loc}/{op_kind}/{uuid.uuid4()}",
        retry_after=RETRY_AFTER,
        args={"revision": revision, "failure": failure},
    )


def _new_revision(req: ArmRequest, app: dict[str, Any], name: str) -> None:
    props = app["properties"]
    domain = props["latestRevisionFqdn"].split(".", 1)[-1] if props["latestRevisionFqdn"] else ""
    doc = {
        "id": f"{app['id']}/revisions/{name}",
        "name": name,
        "type": REV_TYPE,
        "properties": {
            "createdTime": iso(req.now()),
            "fqdn": f"{name}.{domain}" if domain else "",
            "template": copy.deepcopy(props["template"]),
            "active": True,
            "healthState": "None",
            "provisioningState": "Provisioning",
        },
        "sandbox": {"readyAt": None},
    }
    req.state.store.put(doc, created=req.now())


@provider.route("PUT", APP + "/{app}")
def put_app(req: ArmRequest) -> ArmResponse:
    existing = req.state.store.get(_app_id(req))
    plan = _build(req, req.json(), existing)
    op = _commit(req, plan, "containerappOperationStatuses")
    status = 200 if existing else 201
    return ArmResponse(status, plan["doc"], req.state.lro.headers(req, op))


@provider.route("PATCH", APP + "/{app}")
def patch_app(req: ArmRequest) -> ArmResponse:
    existing = _get_app(req)
    desired = _with_secret_values(req.state, existing)
    plan = _build(req, merge_patch(desired, req.json()), existing)
    op = _commit(req, plan, "containerappOperationResults")
    return ArmResponse(202, None, req.state.lro.headers(req, op))


def _with_secret_values(state: SandboxState, doc: dict[str, Any]) -> dict[str, Any]:
    """The app as its owner last wrote it: stored secret values put back for the merge."""
    out = copy.deepcopy(doc)
    values = state.store.record(_SECRETS, doc["id"]) or {}
    for secret in (out["properties"].get("configuration") or {}).get("secrets") or []:
        if secret["name"] in values:
            secret["value"] = values[secret["name"]]
    return out


def _get_app(req: ArmRequest) -> dict[str, Any]:
    doc = req.state.store.get(_app_id(req))
    if doc is None:
        raise resource_not_found(APP_TYPE, req.params["app"], req.params["rg"])
    return doc


@provider.route("GET", APP + "/{app}")
def get_app(req: ArmRequest) -> dict[str, Any]:
    return _get_app(req)


@provider.route("DELETE", APP + "/{app}")
def delete_app(req: ArmRequest) -> ArmResponse:
    doc = req.state.store.get(_app_id(req))
    if doc is None:
        return ArmResponse(204)
    doc["properties"]["provisioningState"] = "Deleting"
    req.state.store.put(doc)
    op = req.state.lro.start(
        req,
        style="aao",
        completion="app_deleted",
        duration=DELETE_SECONDS,
        resource_id=doc["id"],
        namespace=provider.namespace,
        monitor=(
            f"/subscriptions/{req.params['sub']}/providers/Microsoft.App/containerApps/"
            f"{doc['name']}/operationResults/{uuid.uuid4()}"
        ),
        retry_after=RETRY_AFTER,
    )
    return ArmResponse(202, None, req.state.lro.headers(req, op, with_location=True))


@provider.completion("app_deleted")
def _app_deleted(state: SandboxState, op: Operation) -> None:
    if not op.failing:
        cascade_delete(state, op.resource_id)


@provider.on_delete(APP_TYPE)
def _forget_app(state: SandboxState, doc: dict[str, Any]) -> None:
    state.store.delete_record(_SECRETS, doc["id"])
    principal = (doc.get("identity") or {}).get("principalId")
    if principal:
        state.directory.remove(principal)


@provider.route("GET", APP)
def list_apps_by_group(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=APP_TYPE, rg=_rg_id(req)))


@provider.route("GET", "/subscriptions/{sub}/providers/Microsoft.App/containerApps")
def list_apps(req: ArmRequest) -> ArmResponse:
    return page(req, req.state.store.find(type=APP_TYPE))


@provider.route("POST", APP + "/{app}/listSecrets")
def list_secrets(req: ArmRequest) -> dict[str, Any]:
    doc = _get_app(req)
    values = req.state.store.record(_SECRETS, doc["id"]) or {}
    out = []
    for secret in (doc["properties"].get("configuration") or {}).get("secrets") or []:
        entry = dict(secret)
        if secret["name"] in values:
            entry["value"] = values[secret["name"]]
        out.append(entry)
    return {"value": out}


# -- provisioning -------------------------------------------------------------------------------
def _provision_error(app: str, details: str) -> dict[str, str]:
    # Shape: microsoft/azure-container-apps#1061 (operation status of a failed revision).
    return {
        "code": "ContainerAppOperationError",
        "message": (f"Failed to provision revision for container app '{app}'. Error details: {details}"),
    }


@provider.completion("app_provisioned")
def _app_provisioned(state: SandboxState, op: Operation) -> None:
    app = state.store.get(op.resource_id)
    if app is None:
        return
    rev_id = f"{app['id']}/revisions/{op.args['revision']}" if op.args.get("revision") else None
    rev = state.store.get(rev_id) if rev_id else None
    failure = op.args.get("failure") or (_pull_failure(state, app, rev) if rev else None)
    if failure and not op.failing:
        op.error = failure
    if op.failing:
        _fail(state, app, rev, op.error or {})
    else:
        _succeed(state, app, rev, op.deadline)


def _fail(state: SandboxState, app: dict[str, Any], rev: Any, error: dict[str, Any]) -> None:
    app["properties"]["provisioningState"] = "Failed"
    state.store.put(app)
    if rev is not None:
        rev["properties"].update(
            provisioningState="Failed", active=False, provisioningError=error.get("message", "")
        )
        state.store.put(rev)


def _succeed(state: SandboxState, app: dict[str, Any], rev: Any, when: float) -> None:
    props = app["properties"]
    props.update(provisioningState="Succeeded", runningStatus="Running")
    if rev is not None:
        rev["properties"].update(provisioningState="Provisioned", lastActiveTime=iso(when))
        rev["sandbox"]["readyAt"] = when
        state.store.put(rev)
        props["latestReadyRevisionName"] = rev["name"]
        if props["configuration"].get("activeRevisionsMode", "Single").lower() == "single":
            _deactivate_others(state, app["id"], rev["name"])
    state.store.put(app)


def _deactivate_others(state: SandboxState, app_id: str, keep: str) -> None:
    for other in state.store.find(type=REV_TYPE, within=app_id):
        if other["name"] != keep and other["properties"].get("active"):
            other["properties"]["active"] = False
            state.store.put(other)


def _pull_failure(state: SandboxState, app: dict[str, Any], rev: dict[str, Any]) -> Any:
    """The live error when an image on a sandbox registry cannot be pulled with its identity."""
    config = app["properties"].get("configuration") or {}
    entries = {str(r.get("server", "")).lower(): r for r in config.get("registries") or []}
    template = rev["properties"]["template"]
    for container in (template.get("initContainers") or []) + (template.get("containers") or []):
        image = str(container.get("image", ""))
        server = image.split("/", 1)[0].lower() if "/" in image else ""
        acr = _registry_at(state, server)
        ident = (entries.get(server) or {}).get("identity")
        if acr is None or not ident or _can_pull(state, app, ident, acr["id"]):
            continue
        return _provision_error(
            app["name"],
            "The following field(s) are either invalid or missing. Field "
            f"'template.containers.{container.get('name')}.image' is invalid with details: "
            f'\'Invalid value: "{image}": unable to pull image using Managed identity {ident} '
            f"for registry {server}';..",
        )
    return None


def _registry_at(state: SandboxState, server: str) -> dict[str, Any] | None:
    if not server.endswith(registry.LOGIN_SUFFIX):
        return None
    return next(
        (d for d in state.store.find(type=registry.TYPE) if d["properties"]["loginServer"] == server),
        None,
    )


def _principal(app: dict[str, Any], ident: str) -> str | None:
    identity = app.get("identity") or {}
    if ident.lower() == "system":
        return identity.get("principalId")
    uais = {k.lower(): v for k, v in (identity.get("userAssignedIdentities") or {}).items()}
    return (uais.get(ident.lower()) or {}).get("principalId")


def _can_pull(state: SandboxState, app: dict[str, Any], ident: str, registry_id: str) -> bool:
    principal = _principal(app, ident)
    if not principal:
        return False
    for ra in state.store.find(type=RA_TYPE):
        p = ra["properties"]
        role = p["roleDefinitionId"].rstrip("/").rsplit("/", 1)[-1].lower()
        if (
            p["principalId"].lower() == principal.lower()
            and role in _PULL_ROLES
            and armid.is_within(registry_id, p["scope"])
        ):
            return True
    return False


# -- revisions ----------------------------------------------------------------------------------
def _revision_view(state: SandboxState, app: dict[str, Any], rev: dict[str, Any]) -> dict[str, Any]:
    """Replicas, running state and traffic as of now on the simulated clock."""
    out = copy.deepcopy(rev)
    ready_at = out.pop("sandbox", {}).get("readyAt")
    p = out["properties"]
    replicas, running = 0, "Processing"
    if p["provisioningState"] == "Failed":
        running = "Failed"
    elif p["provisioningState"] == "Provisioned":
        replicas, running = _replicas(state, p, ready_at)
    p.update(replicas=replicas, runningState=running, trafficWeight=_traffic(app, rev))
    return out


def _replicas(state: SandboxState, p: dict[str, Any], ready_at: float) -> tuple[int, str]:
    scale = p["template"].get("scale") or {}
    low = scale.get("minReplicas") or 0
    if not p.get("active"):
        return 0, "ScaledToZero"
    if low >= 1:
        return low, "Running"
    idle = state.clock.now() >= ready_at + scale.get("cooldownPeriod", DEFAULT_COOLDOWN)
    return (0, "ScaledToZero") if idle else (1, "Running")


def _traffic(app: dict[str, Any], rev: dict[str, Any]) -> int:
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


@provider.route("GET", APP + "/{app}/revisions")
def list_revisions(req: ArmRequest) -> ArmResponse:
    app = _get_app(req)
    revs = req.state.store.find(type=REV_TYPE, within=app["id"])
    return page(req, [_revision_view(req.state, app, r) for r in revs])


@provider.route("GET", APP + "/{app}/revisions/{rev}")
def get_revision(req: ArmRequest) -> dict[str, Any]:
    app = _get_app(req)
    rev = req.state.store.get(f"{app['id']}/revisions/{req.params['rev']}")
    if rev is None:
        raise resource_not_found(REV_TYPE, f"{req.params['app']}/{req.params['rev']}", req.params["rg"])
    return _revision_view(req.state, app, rev)
