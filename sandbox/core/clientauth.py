"""Client authentication at the token endpoint (client_credentials), as Entra does it: the app
must be registered, and must prove itself with its secret or with a federated assertion.

Order of checks and the answers (status, `error`, AADSTS code; texts from real responses):

- no `client_id`: 400 invalid_request AADSTS900144 (reference-error-codes.md).
- unknown `client_id`: 400 unauthorized_client AADSTS700016 "Application with identifier ...
  was not found in the directory ..." (body: Azure/azure-sdk-for-python#8314,
  MicrosoftDocs/azure-docs#21690; the 400 is [mem]).
- neither `client_secret` nor `client_assertion`: 401 invalid_client AADSTS7000216 (text and
  status: stephaneey/azure-apim-extension#138).
- wrong secret (or an app without one): 401 invalid_client AADSTS7000215 (hoppscotch/hoppscotch#3868).
- `client_assertion` (type `urn:ietf:params:oauth:client-assertion-type:jwt-bearer`, the body
  azure-identity's `AadClient._get_jwt_assertion_request` posts):
  - not a JWT: 400 invalid_request AADSTS50027 [mem].
  - `iss == client_id` is a certificate assertion (private_key_jwt, certificate-credentials.md);
    the sandbox registers no certificates: 401 invalid_client AADSTS700027 (reference-error-codes.md).
  - otherwise workload identity federation: the first of issuer, subject, audience that no
    federated credential matches decides the code, all 401 invalid_client (status as for every
    invalid_client above): AADSTS700211 issuer (Azure/azure-workload-identity#1200), AADSTS700213
    subject (Azure/login#482), AADSTS700212 audience (texts quoted in public test fixtures).
    Matching is exact and case-sensitive (Entra's 2024 breaking change, cited in Azure/login#517).
    These replaced the older catch-all AADSTS70021 "No matching federated identity record found
    for presented assertion." (400 invalid_request in Azure/azure-workload-identity#616, 2022),
    which the sandbox does not emit.
  - the credential carries a `jwks` (registered by a test) and the signature does not verify with
    it: 401 invalid_client AADSTS700027. Without one the signature is NOT checked: Entra fetches
    the issuer's `/.well-known/openid-configuration` and JWKS, which an offline sandbox cannot.
  - `exp`/`nbf` outside the current time: 401 invalid_client AADSTS700024 with the real text
    (AzureAD/microsoft-authentication-library-for-dotnet#4951, obikuro/Sato#1). "Current time"
    is the wall clock, the clock the sandbox issues and ARM checks its own tokens on (clients cache
    tokens by it); the simulated clock may run 10,000x faster and would expire a 10-minute
    GitHub token in 60 ms. No clock-skew allowance [unverified for Entra].
"""

from __future__ import annotations

import hmac
import time
from typing import Any

from sandbox.core.auth import rs256_valid, rsa_from_jwk, split_jwt
from sandbox.core.state import SandboxState

JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
WIF_DOC = "https://learn.microsoft.com/entra/workload-id/workload-identity-federation"


class AadError(Exception):
    def __init__(self, status: int, error: str, code: int, text: str) -> None:
        super().__init__(f"AADSTS{code}: {text}")
        self.status, self.error, self.code, self.text = status, error, code, text


def _invalid_client(code: int, text: str) -> AadError:
    return AadError(401, "invalid_client", code, text)


def _iso(ts: float) -> str:
    """Entra's time format in AADSTS700024: 2024-10-02T22:05:03.6755165Z."""
    whole = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))
    return f"{whole}.{int((ts % 1) * 10_000_000):07d}Z"


def authenticate(state: SandboxState, form: dict[str, str]) -> tuple[dict[str, Any], str]:
    """The service principal a client_credentials request proves it is, and how (`appidacr`:
    "1" secret, "2" assertion), else the AadError Entra would answer."""
    client_id = form.get("client_id") or ""
    if not client_id:
        raise AadError(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )
    app = state.directory.by_app_id(client_id)
    if app is None:
        raise AadError(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory "
            f"'{state.config.tenant_id}'. This can happen if the application has not been installed "
            "by the administrator of the tenant or consented to by any user in the tenant. You may "
            "have sent your authentication request to the wrong tenant.",
        )
    if form.get("client_assertion"):
        if form.get("client_assertion_type") != JWT_BEARER:
            raise AadError(
                400,
                "invalid_request",
                900144,
                "The request body must contain the following parameter: 'client_assertion_type'.",
            )
        _check_assertion(app, client_id, form["client_assertion"])
        return app, "2"
    secret = form.get("client_secret")
    if secret is None:
        raise _invalid_client(
            7000216,
            "'client_assertion', 'client_secret' or 'request' is required for the "
            "'client_credentials' grant type.",
        )
    if not app.get("secret") or not hmac.compare_digest(str(app["secret"]).encode(), secret.encode()):
        raise _invalid_client(
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the request is the client "
            f"secret value, not the client secret ID, for a secret added to app '{client_id}'.",
        )
    return app, "1"


def _check_assertion(app: dict[str, Any], client_id: str, assertion: str) -> None:
    try:
        header, claims, signing_input, signature = split_jwt(assertion)
    except ValueError:
        raise AadError(400, "invalid_request", 50027, "JWT token is invalid or malformed.") from None
    iss, sub, aud = claims.get("iss"), claims.get("sub"), claims.get("aud")
    if isinstance(iss, str) and iss.lower() == client_id.lower():
        raise _invalid_client(
            700027,
            "Client assertion failed signature validation. [Reason - The key was not found.] "
            "The sandbox registers no certificate credentials.",
        )
    creds = app.get("federatedCredentials") or []
    auds = aud if isinstance(aud, list) else [aud]
    check = (
        ("issuer", 700211, lambda c: c["issuer"] == iss, iss),
        ("subject", 700213, lambda c: c["subject"] == sub, sub),
        ("audience", 700212, lambda c: any(a in c["audiences"] for a in auds), aud),
    )
    for what, code, matches, value in check:
        creds = [c for c in creds if matches(c)]
        if not creds:
            raise _invalid_client(
                code,
                f"No matching federated identity record found for presented assertion {what} "
                f"'{value}'. Please check your federated identity credential Subject, Audience and "
                f"Issuer against the presented assertion. {WIF_DOC}",
            )
    keyed = [c for c in creds if c.get("jwks")]
    if keyed and not any(_signed_by(c["jwks"], header, signing_input, signature) for c in keyed):
        raise _invalid_client(
            700027,
            "Client assertion failed signature validation. [Reason - The key was not found or the "
            "signature does not verify with the issuer's keys.]",
        )
    now = time.time()
    exp = claims.get("exp")
    nbf = claims.get("nbf")
    exp_f = float(exp) if isinstance(exp, (int, float)) else 0.0
    nbf_f = float(nbf) if isinstance(nbf, (int, float)) else 0.0
    if not (nbf_f <= now < exp_f):
        raise _invalid_client(
            700024,
            f"Client assertion is not within its valid time range. Current time: {_iso(now)}, "
            f"assertion valid from {_iso(nbf_f)}, expiry time of assertion {_iso(exp_f)}. Review the "
            "documentation at https://learn.microsoft.com/entra/identity-platform/certificate-credentials .",
        )


def _signed_by(jwks: dict[str, Any], header: dict[str, Any], signing_input: bytes, signature: bytes) -> bool:
    if header.get("alg") != "RS256":
        return False
    for jwk in jwks.get("keys", []):
        if jwk.get("kty") != "RSA" or (header.get("kid") and jwk.get("kid") not in (None, header["kid"])):
            continue
        try:
            if rs256_valid(rsa_from_jwk(jwk), signing_input, signature):
                return True
        except (KeyError, ValueError):
            continue
    return False
