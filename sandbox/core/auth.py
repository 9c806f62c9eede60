"""Tokens: the sandbox is its own Entra. It signs JWTs with RS256 (an RSA key kept in the state
dir) and publishes the public key as a JWKS (`/{tenant}/discovery/v2.0/keys`), like Entra's
`id_token_signing_alg_values_supported: ["RS256"]` and `jwks_uri`; ARM accepts only tokens it
signed, like real ARM accepts only Entra-issued ones.

401 texts: AuthenticationFailed (rancher-letsencrypt#89, Azure/azure-sdk-for-net#4103),
AuthenticationFailedInvalidHeader (Azure/azure-sdk-for-python#4124), InvalidAuthenticationToken
(Azure/azure-powershell#27882), InvalidAuthenticationTokenAudience
(JetBrains/azure-tools-for-intellij#16). ExpiredAuthenticationToken text is [mem].
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from sandbox.constants import ARM_AUDIENCES
from sandbox.core.errors import ArmError

ALLOWED_AUDIENCES = tuple(a for aud in ARM_AUDIENCES for a in (aud, aud.rstrip("/")))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _int_b64(n: int) -> str:
    return _b64(n.to_bytes((n.bit_length() + 7) // 8, "big"))


def new_signing_key() -> bytes:
    """A fresh RSA-2048 private key (PEM), as Entra's token-signing keys are RSA-2048."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def rsa_jwk(public: rsa.RSAPublicKey, kid: str) -> dict[str, Any]:
    nums = public.public_numbers()
    return {"kty": "RSA", "use": "sig", "kid": kid, "n": _int_b64(nums.n), "e": _int_b64(nums.e)}


def rsa_from_jwk(jwk: dict[str, Any]) -> rsa.RSAPublicKey:
    n = int.from_bytes(_unb64(str(jwk["n"])), "big")
    e = int.from_bytes(_unb64(str(jwk["e"])), "big")
    return rsa.RSAPublicNumbers(e, n).public_key()


def rs256_valid(public: rsa.RSAPublicKey, signing_input: bytes, signature: bytes) -> bool:
    try:
        public.verify(signature, signing_input, padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def split_jwt(token: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    """Header, claims, signing input and signature of a compact JWT; ValueError if malformed."""
    try:
        header_b64, payload_b64, sig_b64 = token.split(".")
        header = json.loads(_unb64(header_b64))
        claims = json.loads(_unb64(payload_b64))
        signature = _unb64(sig_b64)
    except (ValueError, TypeError) as exc:  # binascii.Error and JSONDecodeError are ValueErrors
        raise ValueError("not a compact JWT") from exc
    if not isinstance(header, dict) or not isinstance(claims, dict):
        raise ValueError("JWT header or payload is not an object")
    return header, claims, f"{header_b64}.{payload_b64}".encode(), signature


def audience_for(scope_or_resource: str) -> str:
    """`https://management.azure.com/.default` -> `https://management.azure.com/`.

    az asks for `{audience}/.default` with an audience that already ends in `/`
    (`https://management.core.windows.net//.default`, azure-cli `Profile._get_scopes`); Entra
    maps both spellings to the resource's identifier URI, one trailing slash (az's ARM tokens
    carry `aud: https://management.core.windows.net/`).
    """
    first = scope_or_resource.split()[0] if scope_or_resource.strip() else ""
    if not first.endswith("/.default"):
        return first
    return first[: -len("/.default")].rstrip("/") + "/"


class TokenIssuer:
    def __init__(self, key_pem: bytes, tenant_id: str) -> None:
        # The key is one the sandbox generated into its own state dir (mode 600), not user input:
        # RSA validation (cryptography >= 39, serialization docs: "significantly speeds up loading
        # the keys, but is unsafe unless you are certain the key is valid") costs ~0.2 s per start.
        key = serialization.load_pem_private_key(key_pem, password=None, unsafe_skip_rsa_key_validation=True)
        if not isinstance(key, rsa.RSAPrivateKey):
            raise ValueError("the sandbox signing key must be an RSA key")
        self._key = key
        self._public = key.public_key()
        der = self._public.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.kid = _b64(hashlib.sha1(der).digest())  # x5t-like, as Entra's kid equals x5t
        self.tenant_id = tenant_id

    def jwks(self) -> dict[str, Any]:
        """The public signing key, in the shape of Entra's `discovery/v2.0/keys`."""
        return {"keys": [rsa_jwk(self._public, self.kid)]}

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
        header = _b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": self.kid}).encode())
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        signature = self._key.sign(f"{header}.{payload}".encode(), padding.PKCS1v15(), hashes.SHA256())
        return f"{header}.{payload}.{_b64(signature)}", claims["exp"]

    def verify_header(
        self,
        authorization: str | None,
        *,
        authority: str = "",
        audiences: tuple[str, ...] = ALLOWED_AUDIENCES,
    ) -> dict[str, Any]:
        """Claims of a valid `Authorization: Bearer ...` header for one of `audiences` (ARM's by
        default), else ARM's 401 whose challenge names `authority` (`{endpoint}/{tenant}`)."""
        try:
            return self._verify_header(authorization, audiences)
        except ArmError as err:
            challenge = err.headers.get("WWW-Authenticate", "")
            err.headers["WWW-Authenticate"] = challenge.replace("{authority}", authority)
            raise

    def _verify_header(self, authorization: str | None, audiences: tuple[str, ...]) -> dict[str, Any]:
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
        return self.verify(token.strip(), audiences)

    def verify(self, token: str, audiences: tuple[str, ...] = ALLOWED_AUDIENCES) -> dict[str, Any]:
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
        if claims.get("aud") not in audiences:
            allowed = ",".join(f"'{a}'" for a in audiences)
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
            header, claims, signing_input, signature = split_jwt(token)
            if header.get("alg") != "RS256" or not rs256_valid(self._public, signing_input, signature):
                raise ValueError("bad signature")
            return claims
        except ValueError as exc:
            raise unauthorized(
                "InvalidAuthenticationToken",
                "The access token is invalid.",
                "The access token is invalid.",
            ) from exc


def unauthorized(code: str, message: str, description: str) -> ArmError:
    # The challenge points at the issuing authority, as ARM's points at
    # https://login.windows.net/{tenant} (Azure/azure-sdk-for-python#4124); `verify_header` fills it.
    challenge = (
        f'Bearer authorization_uri="{{authority}}", error="invalid_token", error_description="{description}"'
    )
    return ArmError(401, code, message, headers={"WWW-Authenticate": challenge})
