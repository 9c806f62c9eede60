"""`opsctl smoke`: make every data-plane call the app makes, as the app (or the ambient caller), and
say for each failure what is missing and the command that fixes it.

Who calls: by default the ambient credential (the target's: the operator on a workstation, the
managed identity inside the app, the CI identity in a workflow); `--as-app` takes a token for the
app's user-assigned identity from the managed-identity endpoint, which exists only where the identity
is attached (on Azure: inside the environment; in the sandbox: its `/msi/token`, the sandbox host
counting as inside). A failure is told apart as:
- private access: 403 "Public access is disabled": the call must come from inside the network;
- not propagated yet: an assignment granting the data action exists (listed via ARM) but the data
  plane still refuses: Azure RBAC takes up to 10 minutes (MS Learn role-assignments troubleshooting),
  so smoke waits (target time, `Target.sleep`) and retries within `--wait`;
- missing: no such assignment: fail at once, naming the role, the scope and the fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from infra import rag
from infra.catalog.cognitive import DATAPLANE_AUDIENCE
from infra.catalog.roles import (
    DATA_ACTIONS,
    ResourceKey,
    grants_data_action,
    preset_role_for,
)
from infra.naming import network_names
from opsctl.dataplane import (
    SEARCH_AUDIENCE,
    DataPlane,
    open_data_plane,
    principal_from_claims,
    token_claims,
)
from opsctl.denied import assigned_roles, error_message, http_status, one_line
from opsctl.errors import OpsError
from opsctl.throttle import retry_after_of

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential

    from opsctl.environment import Environment
    from opsctl.target import Target

DEFAULT_WAIT_SECONDS = 600.0  # Azure's documented worst case for a new role assignment to apply
POLL_SECONDS = 30.0  # the first wait for propagation; each further one doubles (within --wait)
# Layout of a tiny HTML page: a format both Azure's prebuilt-layout (2024-11-30: PDF, images, Office,
# HTML) and the sandbox accept.
TINY_DOCUMENT = b"<html><body><h1>opsctl smoke</h1><p>ragstack data-plane check.</p></body></html>"
PASS, FAIL, SKIP = "pass", "fail", "skipped"

Progress = Callable[[str], None]


@dataclass(frozen=True)
class SmokeCheck:
    """One row of the report."""

    check: str
    target: str
    result: str
    detail: str


@dataclass(frozen=True)
class Caller:
    """Who the checks ran as, read from the token's claims."""

    principal_id: str
    principal_type: str
    is_app: bool


@dataclass
class SmokeReport:
    stack: str
    caller: Caller | None
    checks: list[SmokeCheck] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.result != FAIL for c in self.checks)


@dataclass
class _Run:
    """What every check needs: the plane, who calls, and the shared `--wait` budget."""

    env: Environment
    target: Target
    plane: DataPlane
    caller: Caller
    wait: float
    progress: Progress
    waited: float = 0.0
    polls: int = 0


class _Pending(Exception):
    """An assignment exists but the data plane does not honour it yet."""


def run_smoke(
    env: Environment,
    target: Target,
    *,
    as_app: bool = False,
    wait: float = DEFAULT_WAIT_SECONDS,
    progress: Progress = lambda _: None,
) -> SmokeReport:
    """Every check, in the order the app needs them; never raises for a failing call."""
    identity = _app_identity(env, target)
    plane = open_data_plane(env, target)
    if as_app:
        plane = plane.as_credential(target.managed_identity_credential(identity["clientId"]))
    report = SmokeReport(env.stack, None)
    tokens = [_token_check(plane.credential, audience) for audience in (SEARCH_AUDIENCE, DATAPLANE_AUDIENCE)]
    report.checks += [check for check, _ in tokens]
    claims = next((c for _, c in tokens if c), None)
    if claims is None:
        report.checks.append(SmokeCheck("data plane", "-", SKIP, "no token: no call can be made"))
        return report
    report.caller = _caller(claims, identity["principalId"])
    run = _Run(env, target, plane, report.caller, wait, progress)
    report.checks += _search_checks(run) + _model_checks(run) + [_layout_check(run)]
    return report


def _app_identity(env: Environment, target: Target) -> dict[str, Any]:
    from opsctl.live import _identity

    found = _identity(env, target)
    if not found.exists or not found.settings.get("clientId"):
        raise OpsError(
            f"the app's identity {found.name} was not found in {env.resource_group}",
            hint=f"deploy the environment first: `opsctl up --stack {env.stack}`",
        )
    return found.settings


def _token_check(credential: TokenCredential, audience: str) -> tuple[SmokeCheck, dict[str, Any] | None]:
    try:
        token = credential.get_token(f"{audience}/.default").token
    except Exception as exc:  # any credential's failure is this check's result
        detail = f"{one_line(exc)}; --as-app works only where the app's identity is attached"
        return SmokeCheck("token", audience, FAIL, detail), None
    claims = token_claims(token)
    return SmokeCheck("token", audience, PASS, f"principal {claims.get('oid', '?')}"), claims


def _caller(claims: dict[str, Any], app_principal: str | None) -> Caller:
    principal = principal_from_claims(claims)
    oid, kind = (principal.object_id, principal.principal_type) if principal else ("", "ServicePrincipal")
    return Caller(oid, kind, bool(app_principal) and oid.lower() == str(app_principal).lower())


def _search_checks(run: _Run) -> list[SmokeCheck]:
    from opsctl.indexes import load_index_definitions

    names = [d.name for d in load_index_definitions(run.env)]
    if not names:
        return [SmokeCheck("search query", "-", SKIP, "no index declared in ragstack:rag.indexes")]

    def query(index: str) -> str:
        hits = list(run.plane.search_client(index).search(search_text="*", top=1))
        return f"{len(hits)} hit(s) for '*'"

    return [
        _check(run, "search query", f"index {name}", "search", lambda n=name: query(n))  # type: ignore[misc]
        for name in names
    ]


def _model_checks(run: _Run) -> list[SmokeCheck]:
    client = run.plane.openai_client()

    def embed(name: str) -> str:
        vector = client.embeddings.create(model=name, input="opsctl smoke").data[0].embedding
        return f"{len(vector)} dimensions"

    def chat(name: str) -> str:
        reply = client.chat.completions.create(
            model=name, messages=[{"role": "user", "content": "Say OK."}], max_tokens=5
        )
        return f"answered ({reply.usage.total_tokens if reply.usage else '?'} tokens)"

    checks = []
    for deployment in run.env.settings.openai.deployments:
        kind, call = ("embedding", embed) if rag.is_embedding(deployment) else ("chat", chat)
        target = f"deployment {deployment.name}"
        checks.append(_check(run, kind, target, "openai", lambda c=call, n=deployment.name: c(n)))  # type: ignore[misc]
    return checks


def _layout_check(run: _Run) -> SmokeCheck:
    def analyze() -> str:
        client = run.plane.document_intelligence_client()
        poller = client.begin_analyze_document(
            "prebuilt-layout", TINY_DOCUMENT, content_type="application/octet-stream"
        )
        return f"{len(poller.result().pages or [])} page(s) analyzed"

    return _check(run, "layout", "prebuilt-layout", "document_intelligence", analyze)


def _check(run: _Run, check: str, target: str, resource: ResourceKey, call: Callable[[], str]) -> SmokeCheck:
    """Make the call; retry while an existing assignment propagates or a 429 asks to wait."""
    waited_before = run.waited
    while True:
        try:
            detail = call()
        except Exception as exc:  # classified below; anything unknown is a failed check, one line
            outcome = _diagnose(run, check, target, resource, exc)
            if isinstance(outcome, str):
                return SmokeCheck(check, target, FAIL, outcome)
            if not _sleep(run, outcome):
                return SmokeCheck(check, target, FAIL, _timed_out(run, check, resource, exc))
            continue
        if run.waited > waited_before:
            detail += f" (after waiting {run.waited - waited_before:.0f}s)"
        return SmokeCheck(check, target, PASS, detail)


def _sleep(run: _Run, seconds: float) -> bool:
    """Wait `seconds` of target time within the shared `--wait` budget; False when it is spent."""
    left = run.wait - run.waited
    if left <= 0:
        return False
    step = min(max(seconds, 1.0), left)
    run.target.sleep(step)
    run.waited += step
    return True


def _diagnose(run: _Run, check: str, target: str, resource: ResourceKey, exc: Exception) -> str | float:
    """A failure's one-line explanation, or the seconds to wait before trying again."""
    status, message = http_status(exc), error_message(exc)
    stack = run.env.stack
    if status == 403 and "public access is disabled" in message.lower():
        return f"private access only: {message} {_where_to_run(run)}"
    if status == 429:
        return retry_after_of(exc)
    if status in (401, 403):
        assigned = _assigned_roles(run, resource, DATA_ACTIONS[check])
        if assigned:
            run.progress(
                f"{check} on {target}: {', '.join(assigned)} assigned but not propagated yet; waiting "
                f"(up to {run.wait - run.waited:.0f}s left of --wait)"
            )
            run.polls += 1
            return POLL_SECONDS * 2 ** (run.polls - 1)
        return _missing(run, check, resource)
    if status == 404 and check == "search query":
        return f"{target} not found: create it with `opsctl index apply --stack {stack} --yes`"
    if status == 404:
        return f"{target} not found ({message}): deploy it with `opsctl up --stack {stack}`"
    return f"HTTP {status}: {message}" if status else message


def _where_to_run(run: _Run) -> str:
    """Where a call refused for coming from outside the network can succeed; whether the stack is
    meant to be private comes from its settings (`ragstack:network`)."""
    stack, settings = run.env.stack, run.env.settings
    if settings.private_network:
        existing = settings.network.existing
        vnet = existing.vnet_id if existing else network_names(settings.environment).vnet
        why = f"stack {stack} is private (ragstack:network.enabled: true)"
    else:
        vnet = "the service's virtual network"
        why = (
            f"stack {stack} is not private (ragstack:network is off): public access was turned off by "
            f"hand (`opsctl drift --stack {stack}` shows it, `opsctl up --stack {stack}` restores it) or"
        )
    return (
        f"{why}: run smoke from inside the network, on a runner in {vnet} (the deploy workflow's "
        f"self-hosted runner), or `opsctl smoke --stack {stack} --as-app` inside the environment (a job "
        "or host with the app's identity); not from a workstation or a hosted runner"
    )


def _missing(run: _Run, check: str, resource: ResourceKey) -> str:
    caller = run.caller
    preset = "app" if caller.is_app else "developer"
    role = preset_role_for(preset, resource, DATA_ACTIONS[check]) or "a role granting " + DATA_ACTIONS[check]
    scope = run.env.scopes()[resource]
    who = "the app's identity" if caller.is_app else f"{caller.principal_type} {caller.principal_id}"
    if caller.is_app:
        fix = f"`opsctl up --stack {run.env.stack}` (the stack grants the app its roles)"
    else:
        fix = (
            f"`opsctl access grant --stack {run.env.stack} --principal {caller.principal_id} "
            f"--principal-type {caller.principal_type} --preset developer`"
        )
    return f"missing role {role} for {who} on {scope}; fix: {fix}"


def _timed_out(run: _Run, check: str, resource: ResourceKey, exc: Exception) -> str:
    status, message = http_status(exc), error_message(exc)
    if status == 429:
        return f"throttled (HTTP 429) for all of --wait {run.wait:.0f}s: {message}"
    assigned = _assigned_roles(run, resource, DATA_ACTIONS[check])
    return (
        f"{', '.join(assigned)} assigned on {run.env.scopes()[resource]} but not in effect after "
        f"--wait {run.wait:.0f}s (propagation takes up to 10 minutes): run smoke again later"
    )


def _assigned_roles(run: _Run, resource: ResourceKey, action: str) -> list[str]:
    """Roles granting `action` assigned to the caller at the resource's scope or above."""
    return assigned_roles(
        run.plane,
        resource,
        lambda name: grants_data_action(name, action),
        principal_id=run.caller.principal_id,
    )
