"""Run the Pulumi program in-process under mocks and return everything it registered.

This is the offline plan: tests and `opsctl plan` call `render(settings, subscription_id=...)`.
It is not a pure module (it imports pulumi), and it keeps the SDK's runtime state per call so it can
run many times in one process.

Extension point: pass `mocks=` any `pulumi.runtime.Mocks`. `new_resource(args)` receives the
type token, logical name and resolved wire-named (camelCase) inputs and returns `(id, outputs)`;
a sandbox-backed subclass of `ArmMocks` can PUT `args.inputs` to a local ARM endpoint and return the
server's id and body instead. `call(args)` answers invokes (`getSharedKeys`, `getClientConfig`).
Parents, dependencies and resource options are not in `MockResourceArgs`; the harness captures
them from the raw RegisterResource requests, so custom mocks need not care.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import re
import runpy
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import pulumi.runtime.resource
from pulumi.runtime import settings as runtime_settings
from pulumi.runtime.mocks import MockCallArgs, MockMonitor, MockResourceArgs, Mocks, set_mocks
from pulumi.runtime.proto import source_pb2
from pulumi.runtime.rpc import _special_secret_sig, _special_sig_key, deserialize_properties
from pulumi.runtime.stack import run_pulumi_func
from pulumi.runtime.sync_await import _ensure_event_loop, _sync_await

from infra.armshape import PARENT_INPUTS, resource_id
from infra.settings import StackSettings
from infra.tags import PROJECT

MAIN = Path(__file__).with_name("__main__.py")
STACK_TYPE = "pulumi:pulumi:Stack"
MOCK_NAMESPACE = uuid.UUID("0b6f3c52-7d1e-5a4b-9c8d-3e2f1a0b9c7d")
MOCK_TENANT_ID = "72f988bf-0000-4000-8000-00000000a11e"


@dataclass(frozen=True)
class RenderedResource:
    """One registered resource as the engine would have seen it."""

    type: str
    name: str
    urn: str
    parent: str | None
    custom: bool
    id: str | None
    depends_on: tuple[str, ...]
    dependencies: tuple[str, ...]
    property_dependencies: dict[str, tuple[str, ...]]
    protect: bool
    replace_on_changes: tuple[str, ...]
    delete_before_replace: bool
    ignore_changes: tuple[str, ...]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    secret_inputs: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rendered:
    """Everything one run registered, in registration order, plus the resolved stack outputs."""

    resources: tuple[RenderedResource, ...]
    outputs: dict[str, Any]
    stack_urn: str | None = None
    calls: tuple[str, ...] = field(default=())
    unknowns: frozenset[str] = frozenset()
    """Values the mocks invented (principal ids, domains): Azure assigns them only at deploy time."""

    def of_type(self, type_token: str) -> list[RenderedResource]:
        return [r for r in self.resources if r.type == type_token]

    def one(self, type_token: str, name: str | None = None) -> RenderedResource:
        """The single resource of `type_token` (named `name` when given)."""
        found = [r for r in self.of_type(type_token) if name is None or r.name == name]
        if len(found) != 1:
            raise LookupError(f"{len(found)} resources of type {type_token} named {name!r}")
        return found[0]

    def by_urn(self, urn: str) -> RenderedResource:
        return next(r for r in self.resources if r.urn == urn)

    @property
    def custom_resources(self) -> list[RenderedResource]:
        return [r for r in self.resources if r.custom]


class RecordingMonitor(MockMonitor):
    """A MockMonitor that keeps the raw RegisterResource requests (parent, deps, options)."""

    def __init__(self, mocks: Mocks) -> None:
        super().__init__(mocks)
        self._by_slot: dict[int, RenderedResource] = {}
        self._arrivals = 0
        self.stack_urn: str | None = None
        self.calls: list[str] = []
        self.failures: list[BaseException] = []  # raised by the mocks, from any registration thread
        self._lock = threading.Lock()

    def RegisterResource(self, request: Any) -> Any:
        with self._lock:  # arrival order is registration order; threads may finish out of order
            slot = self._arrivals
            self._arrivals += 1
        options = getattr(self.mocks, "ignore_changes", None)
        if isinstance(options, dict) and request.ignoreChanges:
            options[(request.type, request.name)] = tuple(request.ignoreChanges)
        try:
            response = super().RegisterResource(request)
        except BaseException as exc:
            self.failures.append(exc)
            raise
        if request.type == STACK_TYPE:
            self.stack_urn = response.urn
            return response
        _ensure_event_loop()
        rendered = _rendered(request, response.urn, self.resources.get(response.urn))
        with self._lock:
            self._by_slot[slot] = rendered
        return response

    @property
    def registrations(self) -> list[RenderedResource]:
        with self._lock:
            return [self._by_slot[slot] for slot in sorted(self._by_slot)]

    def Invoke(self, request: Any) -> Any:
        with self._lock:
            self.calls.append(request.tok)
        try:
            return super().Invoke(request)
        except BaseException as exc:
            self.failures.append(exc)
            raise


def _rendered(request: Any, urn: str, registration: Any) -> RenderedResource:
    """Dependencies are sets to the engine; the SDK sends them in the order its awaits happened to
    finish, so they are sorted here for a render (and a saved plan) that repeats exactly."""
    property_dependencies = {
        key: tuple(sorted(deps.urns)) for key, deps in request.propertyDependencies.items()
    }
    implicit = {u for deps in property_dependencies.values() for u in deps}
    raw_inputs = deserialize_properties(request.object)
    return RenderedResource(
        type=request.type,
        name=request.name,
        urn=urn,
        parent=request.parent or None,
        custom=bool(request.custom),
        id=(registration.id or None) if registration else None,
        depends_on=tuple(sorted(u for u in request.dependencies if u not in implicit)),
        dependencies=tuple(sorted(request.dependencies)),
        property_dependencies=property_dependencies,
        protect=request.HasField("protect") and request.protect,
        replace_on_changes=tuple(request.replaceOnChanges),
        delete_before_replace=bool(request.deleteBeforeReplace),
        ignore_changes=tuple(request.ignoreChanges),
        inputs=_reveal(raw_inputs),
        outputs=_reveal(dict(registration.state)) if registration else {},
        secret_inputs=tuple(key for key, value in raw_inputs.items() if _is_secret(value)),
    )


def _is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(_special_sig_key) == _special_secret_sig


def _reveal(value: Any) -> Any:
    """Plain values for assertions: the wire form of a secret is unwrapped (see `secret_inputs`)."""
    if _is_secret(value):
        return _reveal(value["value"])
    if isinstance(value, dict):
        return {key: _reveal(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_reveal(item) for item in value]
    return value


def render(
    settings: StackSettings,
    *,
    subscription_id: str,
    mocks: Mocks | None = None,
    preview: bool = False,
) -> Rendered:
    """Declare the environment of `settings` under mocks; SettingsError before any registration."""
    from infra.program import declare_environment

    return run_program(
        lambda: declare_environment(settings, subscription_id=subscription_id),
        mocks or ArmMocks(subscription_id, settings.location),
        stack=settings.stack,
        preview=preview,
    )


def render_config(
    config: Mapping[str, Any],
    *,
    stack: str,
    mocks: Mocks | None = None,
    preview: bool = False,
) -> Rendered:
    """Run `infra/__main__.py` exactly as Pulumi would, with a stack file's `config:` mapping."""
    engine = {key: engine_value(value) for key, value in config.items()}
    subscription = str(
        config.get("ragstack:subscriptionId") or config.get("azure-native:subscriptionId") or ""
    )
    location = str(config.get("ragstack:location") or config.get("azure-native:location") or "")
    return run_program(
        lambda: runpy.run_path(str(MAIN), run_name="__main__"),
        mocks or ArmMocks(subscription or str(uuid.UUID(int=0)), location),
        stack=stack,
        preview=preview,
        config=engine,
    )


def engine_value(value: Any) -> str:
    """A stack-file value as the engine passes it: text, structured values as JSON."""
    import json

    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, default=str)


def run_program(
    program: Callable[[], Any],
    mocks: Mocks,
    *,
    stack: str,
    preview: bool = False,
    config: Mapping[str, str] | None = None,
) -> Rendered:
    """Run `program` in a fresh mock runtime; exceptions from the program propagate unchanged."""
    monitor = RecordingMonitor(mocks)
    _reset_runtime(config or {})
    set_mocks(mocks, project=PROJECT, stack=stack, preview=preview, monitor=monitor)
    root = runtime_settings.get_root_resource()
    resolved: dict[str, Any] = {}

    async def body() -> None:
        pulumi.runtime.register_stack_transformation(_without_provider_version_aliases)
        program()
        exported = dict(getattr(root, "outputs", {}))
        for key, value in exported.items():
            resolved[key] = await pulumi.Output.from_input(value).future()

    _ignore_echoes_of_raised_failures(_ensure_event_loop())
    try:
        with _without_source_positions():
            _sync_await(run_pulumi_func(body))
    except BaseException as exc:
        _RAISED.extend([exc, *monitor.failures])
        raise
    invented = frozenset(getattr(mocks, "invented", ()))
    return Rendered(tuple(monitor.registrations), resolved, monitor.stack_urn, tuple(monitor.calls), invented)


# Failures of a render that raised (its own and those of registrations running beside the one that
# failed first). The SDK sets the same exception on every output that
# depended on the failed resource; nobody awaits those, so when they are collected (the next render,
# or the end of a long-lived process) asyncio would log each as "Future exception was never
# retrieved" with its traceback: dozens of copies of an error that was already reported once
# (`opsctl up` names every refused resource in its one line: opsctl/deploy.py `_with_others`).
# The last few are kept (built-in exceptions take no weak references).
_RAISED: collections.deque[BaseException] = collections.deque(maxlen=64)


def _ignore_echoes_of_raised_failures(loop: asyncio.AbstractEventLoop) -> None:
    previous = loop.get_exception_handler()
    if getattr(previous, "_drops_echoes", False):
        return

    def handler(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exception = context.get("exception")
        echo = any(exception is raised for raised in _RAISED)
        if echo and "never retrieved" in context.get("message", ""):
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handler._drops_echoes = True  # type: ignore[attr-defined]
    loop.set_exception_handler(handler)


@contextlib.contextmanager
def _without_source_positions() -> Iterator[None]:
    """The SDK walks the whole Python stack for every resource (`traceback.extract_stack`, a
    protobuf frame each) to tell the engine where the resource was declared, for its diagnostics.
    The mock monitor ignores it, so a mock run sends an empty trace: a third of what constructing a
    resource costs under a deep caller (a CLI command, a test). Private API: when the SDK no longer
    has the function, nothing is patched. One render runs at a time in a process (the SDK's
    runtime state is global), so the swap and its restore cannot interleave."""
    module = pulumi.runtime.resource
    captured = getattr(module, "_get_stack_trace", None)
    if captured is None:
        yield
        return
    module._get_stack_trace = source_pb2.StackTrace
    try:
        yield
    finally:
        module._get_stack_trace = captured


def _without_provider_version_aliases(
    args: pulumi.ResourceTransformationArgs,
) -> pulumi.ResourceTransformationResult | None:
    """Drop the ~20 aliases pulumi-azure-native puts on every resource (one per API version the
    type ever had, `azure-native:search/v20200313:Service`...). Aliases only let the engine match a
    resource against state written under an older type token; a mock run has no prior state, so
    they can match nothing, yet the SDK turns each into a chain of Outputs when the resource is
    constructed: 70-80% of a render's time (`python -m bench.render`). Aliases the program declares
    itself are kept; `pulumi up` runs the program without this transformation."""
    aliases = args.opts.aliases
    if not aliases:
        return None
    kept = [alias for alias in aliases if not _is_provider_version_alias(alias)]
    if len(kept) == len(aliases):
        return None
    opts = pulumi.ResourceOptions.merge(args.opts, pulumi.ResourceOptions())
    opts.aliases = kept
    return pulumi.ResourceTransformationResult(args.props, opts)


# `azure-native:<module>/v<yyyymmdd>[preview|privatepreview...]:<Type>`, as the SDK generates them.
_VERSION_ALIAS = re.compile(r"azure-native:[A-Za-z0-9]+/v\d{8}[a-z]*:[A-Za-z0-9]+")


def _is_provider_version_alias(alias: Any) -> bool:
    type_ = getattr(alias, "type_", None)
    return (
        isinstance(alias, pulumi.Alias) and isinstance(type_, str) and bool(_VERSION_ALIAS.fullmatch(type_))
    )


def _reset_runtime(config: Mapping[str, str]) -> None:
    """Forget the previous run: root stack, pending outputs and config."""
    runtime_settings.ROOT.set(None)
    runtime_settings.SETTINGS.outputs.clear()
    pulumi.runtime.set_all_config(dict(config), [])


# Azure resource type and the input that carries the resource's own name, per type token.
ARM_TYPES: dict[str, tuple[str, str]] = {
    "azure-native:search:Service": ("Microsoft.Search/searchServices", "searchServiceName"),
    "azure-native:cognitiveservices:Account": ("Microsoft.CognitiveServices/accounts", "accountName"),
    "azure-native:containerregistry:Registry": ("Microsoft.ContainerRegistry/registries", "registryName"),
    "azure-native:managedidentity:UserAssignedIdentity": (
        "Microsoft.ManagedIdentity/userAssignedIdentities",
        "resourceName",
    ),
    "azure-native:operationalinsights:Workspace": (
        "Microsoft.OperationalInsights/workspaces",
        "workspaceName",
    ),
    "azure-native:app:ManagedEnvironment": ("Microsoft.App/managedEnvironments", "environmentName"),
    "azure-native:app:ContainerApp": ("Microsoft.App/containerApps", "containerAppName"),
    "azure-native:machinelearningservices:Workspace": (
        "Microsoft.MachineLearningServices/workspaces",
        "workspaceName",
    ),
    "azure-native:storage:StorageAccount": ("Microsoft.Storage/storageAccounts", "accountName"),
    "azure-native:keyvault:Vault": ("Microsoft.KeyVault/vaults", "vaultName"),
    "azure-native:applicationinsights:Component": ("Microsoft.Insights/components", "resourceName"),
    "azure-native:network:VirtualNetwork": ("Microsoft.Network/virtualNetworks", "virtualNetworkName"),
    "azure-native:network:PrivateEndpoint": ("Microsoft.Network/privateEndpoints", "privateEndpointName"),
    "azure-native:privatedns:PrivateZone": ("Microsoft.Network/privateDnsZones", "privateZoneName"),
}


class ArmMocks(Mocks):
    """Answers like ARM would: ARM ids from the inputs, GUIDs for identities, real endpoint shapes.

    Everything is derived from the inputs (uuid5), so two renders of the same settings agree. What
    Azure would assign at deploy time is also kept in `invented`, so a plan can say so.
    """

    def __init__(self, subscription_id: str, location: str = "eastus2") -> None:
        self.subscription_id = subscription_id
        self.location = location
        self.invented: set[str] = {MOCK_TENANT_ID}

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if not args.custom:
            return "", {}
        inputs = dict(args.inputs)
        resource_id = self.arm_id(args.typ, inputs)
        return resource_id, _merge(inputs, self.computed(args.typ, resource_id, inputs))

    def call(self, args: MockCallArgs) -> dict[str, Any]:  # type: ignore[override]
        if args.token == "azure-native:operationalinsights:getSharedKeys":
            seed = f"{args.args.get('resourceGroupName')}/{args.args.get('workspaceName')}"
            return {"primarySharedKey": f"mock-primary-{self.guid(seed)}", "secondarySharedKey": "mock"}
        if args.token == "azure-native:authorization:getClientConfig":
            return {
                "clientId": self.guid("client"),
                "objectId": self.guid("object"),
                "subscriptionId": self.subscription_id,
                "tenantId": MOCK_TENANT_ID,
            }
        raise NotImplementedError(f"ArmMocks has no answer for invoke {args.token}")

    def guid(self, seed: str) -> str:
        return self.invent(str(uuid.uuid5(MOCK_NAMESPACE, seed.lower())))

    def invent(self, value: str) -> str:
        self.invented.add(value)
        return value

    def group_id(self, resource_group: str) -> str:
        return f"/subscriptions/{self.subscription_id}/resourceGroups/{resource_group}"

    def arm_id(self, type_token: str, inputs: Mapping[str, Any]) -> str:
        """The ARM id Azure would give the resource these inputs describe."""
        group = self.group_id(str(inputs.get("resourceGroupName", "")))
        if type_token == "azure-native:resources:ResourceGroup":
            return group
        if type_token == "azure-native:cognitiveservices:Deployment":
            account = f"{group}/providers/Microsoft.CognitiveServices/accounts/{inputs['accountName']}"
            return f"{account}/deployments/{inputs['deploymentName']}"
        if type_token == "azure-native:cognitiveservices:Project":
            account = f"{group}/providers/Microsoft.CognitiveServices/accounts/{inputs['accountName']}"
            return f"{account}/projects/{inputs['projectName']}"
        if type_token == "azure-native:authorization:RoleAssignment":
            scope = str(inputs["scope"]).rstrip("/")
            return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{inputs['roleAssignmentName']}"
        if type_token in PARENT_INPUTS:
            return resource_id(group, type_token, inputs)
        arm_type, name_key = ARM_TYPES[type_token]
        return f"{group}/providers/{arm_type}/{inputs[name_key]}"

    def computed(self, type_token: str, resource_id: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
        """The read-only properties Azure adds to a resource."""
        name = resource_id.rsplit("/", 1)[-1]
        extra: dict[str, Any] = {"name": name, "azureApiVersion": "mock"}
        builder = _COMPUTED.get(type_token)
        if builder is not None:
            extra.update(builder(self, resource_id, name, inputs))
        identity = inputs.get("identity")
        if isinstance(identity, dict):
            extra["identity"] = self.identity(resource_id, identity)
        return extra

    def identity(self, resource_id: str, requested: Mapping[str, Any]) -> dict[str, Any]:
        """ARM's identity block: the input lists user-assigned ids, the output maps them to ids."""
        result: dict[str, Any] = {"type": requested.get("type")}
        if "SystemAssigned" in str(requested.get("type", "")):
            result["principalId"] = self.guid(f"{resource_id}/system-identity")
            result["tenantId"] = MOCK_TENANT_ID
        assigned = requested.get("userAssignedIdentities") or []
        result["userAssignedIdentities"] = {
            uid: {"principalId": self.guid(f"{uid}/principal"), "clientId": self.guid(f"{uid}/client")}
            for uid in assigned
        }
        return result


def _search(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "endpoint": f"https://{name}.search.windows.net",
        "status": "running",
        "provisioningState": "succeeded",
    }


def _cognitive(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    sub = str((inputs.get("properties") or {}).get("customSubDomainName") or name).lower()
    kind = inputs.get("kind")
    endpoint = f"https://{sub}.{'openai' if kind == 'OpenAI' else 'cognitiveservices'}.azure.com/"
    endpoints = (
        {"OpenAI Language Model Instance API": f"https://{sub}.openai.azure.com/"}
        if kind
        in (
            "OpenAI",
            "AIServices",
        )
        else {}
    )
    return {"properties": {"endpoint": endpoint, "endpoints": endpoints, "provisioningState": "Succeeded"}}


def _project(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    account = rid.split("/accounts/", 1)[1].split("/", 1)[0].lower()
    endpoint = f"https://{account}.services.ai.azure.com/api/projects/{name}"
    return {"properties": {"endpoints": {"AI Foundry API": endpoint}, "provisioningState": "Succeeded"}}


def _vault(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "properties": {
            "vaultUri": f"https://{name.lower()}.vault.azure.net/",
            "provisioningState": "Succeeded",
        }
    }


def _registry(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {"loginServer": f"{name.lower()}.azurecr.io", "provisioningState": "Succeeded"}


def _identity(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "principalId": m.guid(f"{rid}/principal"),
        "clientId": m.guid(f"{rid}/client"),
        "tenantId": MOCK_TENANT_ID,
    }


def _workspace(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {"customerId": m.guid(f"{rid}/customer"), "provisioningState": "Succeeded"}


def _environment_domain(m: ArmMocks, environment_id: str, location: str) -> str:
    return m.invent(f"{m.guid(environment_id)[:8]}.{location}.azurecontainerapps.io")


def _managed_environment(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    location = str(inputs.get("location") or m.location)
    return {"defaultDomain": _environment_domain(m, rid, location), "provisioningState": "Succeeded"}


def _container_app(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    location = str(inputs.get("location") or m.location)
    domain = _environment_domain(m, str(inputs.get("managedEnvironmentId", "")), location)
    revision = m.invent(f"{name}--{m.guid(rid)[:7]}")
    return {
        "configuration": {"ingress": {"fqdn": f"{name}.{domain}"}},
        "latestRevisionName": revision,
        "latestRevisionFqdn": f"{revision}.{domain}",
        "provisioningState": "Succeeded",
        "runningStatus": "Running",
    }


def _private_endpoint(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Same-tenant connections with the owner's rights are approved automatically (automatic approval,
    learn.microsoft.com/azure/private-link/private-endpoint-overview)."""
    approved = {"status": "Approved", "description": "Auto-Approved", "actionsRequired": "None"}
    connections = [
        {**c, "privateLinkServiceConnectionState": approved}
        for c in inputs.get("privateLinkServiceConnections") or []
    ]
    return {"privateLinkServiceConnections": connections, "provisioningState": "Succeeded"}


def _role_assignment(m: ArmMocks, rid: str, name: str, inputs: Mapping[str, Any]) -> dict[str, Any]:
    return {"type": "Microsoft.Authorization/roleAssignments"}


_COMPUTED: dict[str, Callable[[ArmMocks, str, str, Mapping[str, Any]], dict[str, Any]]] = {
    "azure-native:search:Service": _search,
    "azure-native:cognitiveservices:Account": _cognitive,
    "azure-native:containerregistry:Registry": _registry,
    "azure-native:managedidentity:UserAssignedIdentity": _identity,
    "azure-native:operationalinsights:Workspace": _workspace,
    "azure-native:app:ManagedEnvironment": _managed_environment,
    "azure-native:app:ContainerApp": _container_app,
    "azure-native:authorization:RoleAssignment": _role_assignment,
    "azure-native:cognitiveservices:Project": _project,
    "azure-native:keyvault:Vault": _vault,
    "azure-native:network:PrivateEndpoint": _private_endpoint,
}


def _merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """Inputs overlaid with computed values, merging nested objects like `properties`."""
    merged = dict(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
