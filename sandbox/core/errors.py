"""ARM errors as exceptions: a handler raises, the dispatcher writes the `{"error": ...}` envelope.

Message texts are the live service's, with the source next to each helper.
"""

from __future__ import annotations

from typing import Any


class ArmError(Exception):
    """An ARM error response: HTTP status plus `error.code` / `error.message`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        headers: dict[str, str] | None = None,
        details: list[dict[str, Any]] | None = None,
        target: str | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details
        self.target = target

    def body(self) -> dict[str, Any]:
        err: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            err["target"] = self.target
        if self.details:
            err["details"] = self.details
        return {"error": err}


def resource_group_not_found(rg: str) -> ArmError:
    # Src: arm-facts §3 (skyplane#409, Azure/azure-cli#20316).
    return ArmError(404, "ResourceGroupNotFound", f"Resource group '{rg}' could not be found.")


def resource_not_found(resource_type: str, name: str, rg: str | None) -> ArmError:
    # Src: arm-facts §3 (Azure-Samples/azure-search-openai-demo#80, Azure/azqr#263).
    where = f" under resource group '{rg}'" if rg else ""
    return ArmError(
        404,
        "ResourceNotFound",
        f"The Resource '{resource_type}/{name}'{where} was not found. "
        "For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def subscription_not_found(sub: str) -> ArmError:
    # [mem] code from arm-facts §3; message shape as ARM prints it.
    return ArmError(404, "SubscriptionNotFound", f"The subscription '{sub}' could not be found.")


def invalid_request_content(detail: str) -> ArmError:
    # [mem] ARM's answer to a body that is not JSON.
    return ArmError(
        400,
        "InvalidRequestContent",
        f"The request content was invalid and could not be deserialized: '{detail}'.",
    )


def being_deleted(rg: str) -> ArmError:
    # Src: ops-pitfalls T-2 (Azure/azure-cli#21121, #28679).
    return ArmError(
        409,
        "ResourceGroupBeingDeleted",
        f"The resource group '{rg}' is in deprovisioning state and cannot perform this operation.",
    )
