"""The sandbox's Entra directory: which object ids exist, for PrincipalNotFound, and which apps
may sign in at the token endpoint.

Managed identities register themselves when created; with `principal_replication_delay`
they stay invisible to ARM for that many simulated seconds, like Entra replication (ops-pitfalls
R-4). Users, groups and service principals are seeded through the Python or admin API.

An app registration and its service principal are one record here: `appId` (the client id), a
client `secret` and `federatedCredentials` (`{name, issuer, subject, audiences[, jwks]}`, the
shape of Graph's federatedIdentityCredential). The token endpoint knows no other apps.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sandbox.core.store import Store

PRINCIPAL_TYPES = ("User", "Group", "ServicePrincipal", "ForeignGroup", "Device")
_KIND = "principal"
# The audience Entra recommends (and the portal defaults) for a federated identity credential.
TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange"


def federated_credential(spec: dict[str, Any], index: int = 0) -> dict[str, Any]:
    """A validated federated identity credential: issuer and subject are required and matched
    exactly (case-sensitive, like Entra since 2024); audiences default to the token exchange one."""
    issuer, subject = spec.get("issuer"), spec.get("subject")
    if not isinstance(issuer, str) or not issuer or not isinstance(subject, str) or not subject:
        raise ValueError("a federated credential needs a non-empty 'issuer' and 'subject'")
    audiences = spec.get("audiences") or [TOKEN_EXCHANGE_AUDIENCE]
    if isinstance(audiences, str) or not all(isinstance(a, str) and a for a in audiences):
        raise ValueError("'audiences' must be a list of non-empty strings")
    doc: dict[str, Any] = {
        "name": str(spec.get("name") or f"federated-{index}"),
        "issuer": issuer,
        "subject": subject,
        "audiences": list(audiences),
    }
    if spec.get("jwks") is not None:
        jwks = spec["jwks"]
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list) or not jwks["keys"]:
            raise ValueError("'jwks' must be a JWKS object with a non-empty 'keys' list")
        doc["jwks"] = jwks
    extra = set(spec) - {"name", "issuer", "subject", "audiences", "jwks"}
    if extra:
        raise ValueError(f"unknown federated credential fields: {sorted(extra)}")
    return doc


class PrincipalExists(ValueError):
    """A registration for an object id the directory already holds (409 at the admin API)."""


class Directory:
    def __init__(self, store: Store) -> None:
        self._store = store

    def _refuse_taken(self, object_id: str, app_id: str | None = None) -> None:
        """Entra holds one object per id: registering a taken id (other than re-registering the
        same app) would replace that principal and drop its app registration (client id, secret,
        federated credentials), locking it out of sign-in."""
        existing = self.get(object_id.lower())
        if existing is None or (app_id and existing.get("appId") == app_id.lower()):
            return
        raise PrincipalExists(
            f"object id {object_id.lower()} already exists ({existing['principalType']} "
            f"'{existing['displayName']}'); grant it roles with `principal grant`"
        )

    def add(
        self,
        object_id: str,
        principal_type: str = "ServicePrincipal",
        *,
        display_name: str | None = None,
        app_id: str | None = None,
        secret: str | None = None,
        visible_at: float = 0.0,
        members: list[str] | None = None,
    ) -> dict[str, Any]:
        """A directory object; a Group's `members` (object ids, groups included) count for
        role assignments made to the group."""
        if principal_type not in PRINCIPAL_TYPES:
            raise ValueError(f"principal_type must be one of {PRINCIPAL_TYPES}")
        if members and principal_type != "Group":
            raise ValueError("only a Group has members")
        self._refuse_taken(object_id)
        doc = {
            "objectId": object_id.lower(),
            "principalType": principal_type,
            "displayName": display_name or object_id,
            "appId": app_id.lower() if app_id else None,
            "secret": secret,
            "visibleAt": visible_at,
            "members": [m.lower() for m in members or []],
        }
        with self._store.transaction():
            self._store.put_record(_KIND, object_id, doc)
        return doc

    def add_app(
        self,
        client_id: str,
        *,
        secret: str | None = None,
        federated: list[dict[str, Any]] | None = None,
        object_id: str | None = None,
        display_name: str | None = None,
        visible_at: float = 0.0,
    ) -> dict[str, Any]:
        """Register an app (and its service principal) that can get tokens with `secret` and/or
        an assertion matching one of `federated`. Registering a client id again replaces it."""
        if not client_id:
            raise ValueError("client_id is required")
        creds = [federated_credential(spec, i) for i, spec in enumerate(federated or [])]
        if object_id:
            self._refuse_taken(object_id, client_id)
        existing = self.by_app_id(client_id)
        oid = object_id or (existing or {}).get("objectId")
        oid = oid or str(uuid.uuid5(uuid.NAMESPACE_URL, f"sandbox-app:{client_id.lower()}"))
        doc = {
            "objectId": oid.lower(),
            "principalType": "ServicePrincipal",
            "displayName": display_name or client_id,
            "appId": client_id.lower(),
            "secret": secret,
            "federatedCredentials": creds,
            "visibleAt": visible_at,
        }
        with self._store.transaction():
            if existing and existing["objectId"] != doc["objectId"]:
                self._store.delete_record(_KIND, existing["objectId"])
            self._store.put_record(_KIND, oid, doc)
        return doc

    def get(self, object_id: str) -> dict[str, Any] | None:
        return self._store.record(_KIND, object_id)

    def by_app_id(self, app_id: str) -> dict[str, Any] | None:
        app = app_id.lower()
        return next((p for p in self._store.records(_KIND) if p.get("appId") == app), None)

    def status(self, object_id: str, now: float) -> str:
        """`visible`, `replicating` (exists but not yet seen by ARM) or `missing`."""
        doc = self.get(object_id)
        if doc is None:
            return "missing"
        return "visible" if now >= doc["visibleAt"] else "replicating"

    def remove(self, object_id: str) -> None:
        with self._store.transaction():
            self._store.delete_record(_KIND, object_id)

    def list(self) -> list[dict[str, Any]]:
        return self._store.records(_KIND)
