"""Tokens: the sandbox is its own Entra. It signs JWT-shaped tokens (HS256, key in the state dir)
and ARM accepts only tokens it signed, like real ARM accepts only Entra-issued ones.

401 texts: AuthenticationFailed (rancher-letsencrypt#89, Azure/azure-sdk-for-net#4103),
AuthenticationFailedInvalidHeader (Azure/azure-sdk-for-python#4124), InvalidAuthenticationToken
(Azure/azure-powershell#27882), InvalidAuthenticationTokenAudience
(JetBrains/azure-tools-for-intellij#16). ExpiredAuthenticationToken text is [mem].
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from opsctl.sandbox.constants import ARM_AUDIENCES
from opsctl.sandbox.core.errors import ArmError

ALLOWED_AUDIENCES = tuple(a for aud in ARM_AUDIENCES for a in (aud, aud.rstrip("/")))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def audience_for(scope_or_resource: str) -> str:
    """`https://management.azure.com/.default` -> `https://management.azure.com/`."""
    first = scope_or_resource.split()[0] if scope_or_resource.strip() else ""
    return first[: -len(".default")] if first.endswith("/.default") else first


class TokenIssuer:
    def __init__(self, key: bytes, tenant_id: str) -> None:
        self._key = key
        self.tenant_id = tenant_id

    def issue(
        self, *, oid: str, aud: str, app_id: str | None = None, ttl: int = 3600, **extra: Any
    ) -> tuple[str, int]:
        """A signed token and its expiry (epoch seconds, wall clock: clients check it)."""
        now = int(time.time())
        claims = {
            "aud": aud,
            "iss": f"https://sts.windows.net/{self.tenant_id}/",
            "iat": now,
            "nbf": now,
            "exp": now + ttl,
            "tid": self.tenant_id,
            "oid": oid,
            "sub": oid,
            "appid": app_id or oid,
            "idtyp": "app",
            "uti": uuid.uuid4().hex,
            **extra,
        }
        header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": "sandbox"}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        sig = _b64(hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest())
        return f"{header}.{payload}.{sig}", claims["exp"]

    def verify_header(self, authorization: str | None) -> dict[str, Any]:
        """Claims of a valid `Authorization: Bearer ...` header, else ARM's 401."""
        if not authorization:
            raise unauthorized(
                "AuthenticationFailed",
                "Authentication failed. The 'Authorization' header is missing.",
                "The authentication failed because of missing 'Authorization' header.",
            )
        scheme, _, token = authorization.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized(
                "AuthenticationFailedInvalidHeader",
                "Authentication failed. The 'Authorization' header is provided in an invalid format.",
                "The authentication failed because of invalid 'Authorization' header.",
            )
        return self.verify(token.strip())

    def verify(self, token: str) -> dict[str, Any]:
        claims = self._decode(token)
        now = int(time.time())
        if claims.get("exp", 0) <= now:
            exp = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(claims.get("exp", 0)))
            cur = time.strftime("%m/%d/%Y %H:%M:%S", time.gmtime(now))
            raise unauthorized(
                "ExpiredAuthenticationToken",
                f"The access token expiry UTC time '{exp}' is earlier than current UTC time '{cur}'.",
                "The access token has expired.",
            )
        if claims.get("aud") not in ALLOWED_AUDIENCES:
            allowed = ",".join(f"'{a}'" for a in ALLOWED_AUDIENCES)
            raise unauthorized(
                "InvalidAuthenticationTokenAudience",
                f"The access token has been obtained for wrong audience or resource "
                f"'{claims.get('aud')}'. It should exactly match with one of the allowed "
                f"audiences {allowed}.",
                "The access token has been obtained for wrong audience or resource.",
            )
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        try:
            header, payload, sig = token.split(".")
            expected = hmac.new(self._key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(sig)):
                raise ValueError("bad signature")
            claims = json.loads(_unb64(payload))
            if not isinstance(claims, dict):
                raise ValueError("payload is not an object")
            return claims
        except (ValueError, TypeError) as exc:
            raise unauthorized(
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                "The access token is invalid.",
            ) from exc


def unauthorized(code: str, message: str, description: str) -> ArmError:
    # The challenge points at the issuing authority, like ARM's points at login.windows.net.
    challenge = (
        f'Bearer authorization_uri="{{authority}}", error="invalid_token", error_description="{description}"'
    )
    return ArmError(401, code, message, headers={"WWW-Authenticate": challenge})
