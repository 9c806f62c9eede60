"""Turn Azure SDK exceptions into one-line OpsErrors carrying the ARM error code and a hint."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from opsctl.errors import OpsError

T = TypeVar("T")

HINTS: dict[str, str] = {
    "AuthorizationFailed": "your identity lacks the permission; see README 'Running it in CI' for roles",
    "InsufficientQuota": "lower capacity elsewhere, pick another region or sku, or request quota",
    "RequestConflict": "another write is running on the account; retry later",
    "ScopeLocked": "a management lock blocks the change; remove it deliberately first",
    "ResourceGroupNotFound": "the environment is not deployed here (check --stack and --subscription)",
    "ResourceNotFound": "the resource does not exist (deployed? right subscription?)",
    "PrincipalNotFound": "the principal does not exist in the tenant (yet); check the object id",
    "FlagMustBeSetForRestore": "a soft-deleted account holds the name; purge it or restore it",
    "CustomDomainInUse": "the subdomain is held by a soft-deleted account; purge it",
    "ResourceGroupBeingDeleted": "the resource group is being deleted; wait for teardown to finish",
}
# After the retries (opsctl.retry) the endpoint still did not answer: the network, or a stopped sandbox.
UNREACHABLE = (
    "the endpoint did not answer after retries (network, or the sandbox stopped); "
    "the change may be partly applied: re-run the command once it answers, it continues from live state"
)


def error_code(exc: BaseException) -> str | None:
    """The ARM error code of an azure-core HttpResponseError, if any."""
    error = getattr(exc, "error", None)
    return getattr(error, "code", None) if error is not None else None


def error_message(exc: BaseException) -> str:
    error = getattr(exc, "error", None)
    message = getattr(error, "message", None) if error is not None else None
    return (message or str(exc)).splitlines()[0]


def status_code(exc: BaseException) -> int | None:
    return getattr(exc, "status_code", None)


@contextmanager
def arm_errors(what: str) -> Iterator[None]:
    """Re-raise SDK failures during `what` as one-line OpsErrors (original kept as __cause__)."""
    from azure.core.exceptions import (
        AzureError,
        ClientAuthenticationError,
        ServiceRequestError,
        ServiceResponseError,
    )

    try:
        yield
    except OpsError:
        raise
    except ClientAuthenticationError as exc:
        raise OpsError(
            f"{what}: authentication failed ({error_message(exc)})",
            code=error_code(exc),
            hint="run `az login`, or set AZURE_CLIENT_ID/AZURE_TENANT_ID for OIDC",
        ) from exc
    except (ServiceRequestError, ServiceResponseError) as exc:
        raise OpsError(f"{what}: {error_message(exc)}", hint=UNREACHABLE) from exc
    except AzureError as exc:
        code = error_code(exc)
        raise OpsError(f"{what}: {error_message(exc)}", code=code, hint=HINTS.get(code or "")) from exc


def unless_missing(what: str, fetch: Callable[[], T]) -> T | None:
    """`fetch()` under `arm_errors(what)`, with a 404 meaning None instead of an error."""
    from azure.core.exceptions import ResourceNotFoundError

    try:
        with arm_errors(what):
            return fetch()
    except OpsError as exc:
        if isinstance(exc.__cause__, ResourceNotFoundError):
            return None
        raise
