"""How a client reaches a running sandbox: endpoint, CA bundle, identities, and the helpers
that build official `azure-mgmt-*` clients against it. Light to import: the Azure SDK and httpx
are imported only when used.
"""

from __future__ import annotations

import inspect
import json
import os
import ssl
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from infra.catalog.container_apps import LOG_STREAM_DOMAIN
from sandbox.constants import (
    ADMIN_KEY_FILE,
    ADMIN_KEY_HEADER,
    ARM_SCOPE,
    OPERATOR_CLIENT_ID,
    OPERATOR_SECRET,
    SANDBOX_SUBSCRIPTION_ID,
    SANDBOX_TENANT_ID,
)

T = TypeVar("T")


@dataclass
class SandboxConnection:
    endpoint: str
    ca_path: str
    subscription_id: str = SANDBOX_SUBSCRIPTION_ID
    tenant_id: str = SANDBOX_TENANT_ID
    client_id: str = OPERATOR_CLIENT_ID
    client_secret: str = OPERATOR_SECRET
    identity_header: str = ""
    admin_key: str = ""

    @property
    def identity_endpoint(self) -> str:
        return f"{self.endpoint}/msi/token"

    def credential(self, client_id: str | None = None, client_secret: str | None = None) -> SandboxCredential:
        """A TokenCredential that gets real (sandbox-signed) tokens from the token endpoint."""
        return SandboxCredential(self, client_id or self.client_id, client_secret or self.client_secret)

    def managed_identity_credential(self, client_id: str) -> SandboxManagedIdentityCredential:
        """A TokenCredential for a user-assigned identity from the sandbox's managed-identity
        endpoint, as code inside the environment gets it (its tokens count as "inside")."""
        return SandboxManagedIdentityCredential(self, client_id)

    def dataplane_endpoint(self, azure_endpoint: str) -> str:
        """Where the sandbox serves a data-plane endpoint that ARM reports in Azure's form.

        `https://<name>.search.windows.net/` -> `{endpoint}/search/<name>`, an account's
        `https://<subdomain>.openai.azure.com/` or `.cognitiveservices.azure.com/` ->
        `{endpoint}/cognitive/<subdomain>`, a Container Apps log stream's
        `https://<region>.azurecontainerapps.dev` -> `{endpoint}/containerapps/<region>`: the ARM
        resource keeps Azure's host (what the same code reads on Azure), the connection alone redirects it.
        """
        host = urllib.parse.urlsplit(azure_endpoint).hostname or ""
        name, _, suffix = host.partition(".")
        prefixes = {
            "search.windows.net": "search",
            "openai.azure.com": "cognitive",
            "cognitiveservices.azure.com": "cognitive",
            LOG_STREAM_DOMAIN: "containerapps",
        }
        if suffix not in prefixes:
            raise ValueError(f"no sandbox data plane serves '{azure_endpoint}'")
        return f"{self.endpoint}/{prefixes[suffix]}/{name}"

    def client(self, client_class: type[T], **kwargs: Any) -> T:
        """The official mgmt client pointed at the sandbox (base_url, scopes, CA, subscription)."""
        params = inspect.signature(client_class.__init__).parameters
        kwargs.setdefault("base_url", self.endpoint)
        kwargs.setdefault("credential_scopes", [ARM_SCOPE])
        kwargs.setdefault("connection_verify", self.ca_path)
        if "subscription_id" in params:
            kwargs.setdefault("subscription_id", self.subscription_id)
        credential = kwargs.pop("credential", None) or self.credential()
        return client_class(credential, **kwargs)  # type: ignore[call-arg]

    def env(self) -> dict[str, str]:
        """Environment a shell needs to talk to this sandbox with az, azure-identity and curl.

        DefaultAzureCredential cannot switch off MSAL's instance discovery (no variable does;
        azure-identity `EnvironmentCredential` builds a ClientSecretCredential that asks
        login.microsoftonline.com first), so the recipe steers it to the managed-identity path
        instead: `AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential` (azure-identity >= 1.23
        `DefaultAzureCredential`: only that credential, no IMDS probe) with the App Service
        protocol's `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`, answered for the operator. The AZURE_*
        client values are for `ClientSecretCredential(..., authority=AZURE_AUTHORITY_HOST,
        disable_instance_discovery=True)` and `az login --service-principal`;
        `AZURE_CORE_INSTANCE_DISCOVERY=false` is az's `core.instance_discovery` setting.
        """
        return {
            "RAGSTACK_SANDBOX_ENDPOINT": self.endpoint,
            "REQUESTS_CA_BUNDLE": self.ca_path,
            "SSL_CERT_FILE": self.ca_path,
            "CURL_CA_BUNDLE": self.ca_path,
            "AZURE_AUTHORITY_HOST": self.endpoint,
            "AZURE_TENANT_ID": self.tenant_id,
            "AZURE_CLIENT_ID": self.client_id,
            "AZURE_CLIENT_SECRET": self.client_secret,
            "AZURE_SUBSCRIPTION_ID": self.subscription_id,
            "AZURE_TOKEN_CREDENTIALS": "ManagedIdentityCredential",
            "IDENTITY_ENDPOINT": self.identity_endpoint,
            "IDENTITY_HEADER": self.identity_header,
            "AZURE_CORE_INSTANCE_DISCOVERY": "false",
        }

    def save(self, path: str | Path, **extra: Any) -> None:
        """Write the connection (it holds the admin key and secrets: mode 0600, like the key)."""
        doc = {**asdict(self), **extra}
        target = Path(path)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(json.dumps(doc, indent=2) + "\n")
        os.replace(tmp, target)

    def resolved_admin_key(self) -> str:
        """The admin key: the connection's own, else the one in the state dir beside the CA."""
        if self.admin_key:
            return self.admin_key
        try:
            return (Path(self.ca_path).parent / ADMIN_KEY_FILE).read_text().strip()
        except OSError:
            return ""

    @classmethod
    def load(cls, path: str | Path) -> SandboxConnection:
        return cls.load_dict(json.loads(Path(path).read_text()))

    @classmethod
    def load_dict(cls, doc: dict[str, Any]) -> SandboxConnection:
        """Build from a saved document, ignoring extra keys (pid, started_at, ...)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in doc.items() if k in names})


class SandboxCredential:
    """azure-core TokenCredential: client_credentials against `/{tenant}/oauth2/v2.0/token`."""

    def __init__(self, connection: SandboxConnection, client_id: str, client_secret: str) -> None:
        self._conn = connection
        self._client_id = client_id
        self._secret = client_secret
        self._cache: dict[str, tuple[str, int]] = {}
        self._lock = threading.Lock()
        self._ssl = ssl.create_default_context(cafile=connection.ca_path)

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        token, expires_on = self._token(scopes[0] if scopes else ARM_SCOPE)
        return AccessToken(token, expires_on)

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        token, expires_on = self._token(scopes[0] if scopes else ARM_SCOPE)
        return AccessTokenInfo(token, expires_on)

    def close(self) -> None:
        """Nothing to release (TokenCredential protocol)."""

    def _token(self, scope: str) -> tuple[str, int]:
        with self._lock:
            cached = self._cache.get(scope)
            if cached and cached[1] - 300 > time.time():
                return cached
            body = urllib.parse.urlencode(
                {
                    "grant_type": "client_credentials",
                    "client_id": self._client_id,
                    "client_secret": self._secret,
                    "scope": scope,
                }
            ).encode()
            url = f"{self._conn.endpoint}/{self._conn.tenant_id}/oauth2/v2.0/token"
            try:
                with urllib.request.urlopen(url, body, timeout=30, context=self._ssl) as resp:
                    doc = json.loads(resp.read())
            except urllib.error.HTTPError as exc:  # Entra's error body: AADSTS code and text
                from azure.core.exceptions import ClientAuthenticationError

                try:
                    detail = json.loads(exc.read()).get("error_description") or ""
                except ValueError:
                    detail = ""
                raise ClientAuthenticationError(
                    message=f"the sandbox token endpoint refused {self._client_id}: HTTP {exc.code} {detail}"
                ) from exc
            except OSError as exc:
                from azure.core.exceptions import ClientAuthenticationError

                raise ClientAuthenticationError(
                    message=f"the sandbox token endpoint {url} is unreachable ({exc})"
                ) from exc
            value = (doc["access_token"], int(time.time()) + int(doc["expires_in"]))
            self._cache[scope] = value
            return value


class SandboxManagedIdentityCredential:
    """azure-core TokenCredential over `GET /msi/token` (the IDENTITY_ENDPOINT protocol, selector
    `client_id`), like azure-identity's ManagedIdentityCredential on App Service/Container Apps."""

    def __init__(self, connection: SandboxConnection, client_id: str) -> None:
        self._conn = connection
        self.client_id = client_id
        self._ssl = ssl.create_default_context(cafile=connection.ca_path)

    def get_token(self, *scopes: str, **kwargs: Any) -> Any:
        from azure.core.credentials import AccessToken

        return AccessToken(*self._token(scopes[0] if scopes else ARM_SCOPE))

    def get_token_info(self, *scopes: str, options: Any = None) -> Any:
        from azure.core.credentials import AccessTokenInfo

        return AccessTokenInfo(*self._token(scopes[0] if scopes else ARM_SCOPE))

    def close(self) -> None:
        """Nothing to release (TokenCredential protocol)."""

    def _token(self, scope: str) -> tuple[str, int]:
        from azure.core.exceptions import ClientAuthenticationError

        resource = scope.removesuffix("/.default")
        query = urllib.parse.urlencode(
            {"api-version": "2019-08-01", "resource": resource, "client_id": self.client_id}
        )
        request = urllib.request.Request(
            f"{self._conn.identity_endpoint}?{query}",
            headers={"X-IDENTITY-HEADER": self._conn.identity_header},
        )
        try:
            with urllib.request.urlopen(request, timeout=30, context=self._ssl) as resp:
                doc = json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            try:
                detail = json.loads(exc.read()).get("message") or ""
            except ValueError:
                detail = ""
            raise ClientAuthenticationError(
                message=f"the sandbox managed-identity endpoint refused client_id {self.client_id}: "
                f"HTTP {exc.code} {detail}"
            ) from exc
        except OSError as exc:
            raise ClientAuthenticationError(
                message=f"the sandbox managed-identity endpoint is unreachable ({exc})"
            ) from exc
        return doc["access_token"], int(doc["expires_on"])


class SandboxAdmin:
    """The admin API over HTTPS, for tests and tools in another process."""

    def __init__(self, connection: SandboxConnection, timeout: float = 10.0) -> None:
        import httpx

        self.connection = connection
        self._http = httpx.Client(
            base_url=connection.endpoint,
            verify=ssl.create_default_context(cafile=connection.ca_path),
            timeout=timeout,
            headers={ADMIN_KEY_HEADER: connection.resolved_admin_key()},
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SandboxAdmin:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kw: Any) -> Any:
        resp = self._http.request(method, f"/_sandbox/{path}", **kw)
        resp.raise_for_status()
        return resp.json() if resp.content else None

    def health(self) -> bool:
        try:
            return bool(self._call("GET", "health")["status"] == "ok")
        except Exception:
            return False

    def status(self) -> dict[str, Any]:
        return dict(self._call("GET", "status"))

    def reset(self, *, dry_run: bool = False) -> dict[str, Any]:
        """Forget all state; `dry_run`: only say what would be dropped."""
        return dict(self._call("POST", "reset", params=_dry(dry_run)) or {})

    def add_fault(self, kind: str, **spec: Any) -> dict[str, Any]:
        return dict(self._call("POST", "faults", json={"kind": kind, **spec}))

    def faults(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "faults")["value"])

    def remove_fault(self, fault_id: str) -> None:
        self._call("DELETE", f"faults/{fault_id}")

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def requests(
        self, *, method: str | None = None, path: str | None = None, since: float | None = None
    ) -> list[dict[str, Any]]:
        params = {k: v for k, v in {"method": method, "path": path, "since": since}.items() if v is not None}
        return list(self._call("GET", "requests", params=params)["value"])

    def clear_requests(self) -> None:
        self._call("DELETE", "requests")

    def add_principal(
        self, object_id: str, principal_type: str = "ServicePrincipal", **kw: Any
    ) -> dict[str, Any]:
        return dict(
            self._call(
                "POST",
                "principals",
                json={"object_id": object_id, "principal_type": principal_type, **kw},
            )
        )

    def register_principal(
        self,
        principal_type: str = "ServicePrincipal",
        *,
        roles: list[dict[str, Any]] | None = None,
        dry_run: bool = False,
        **kw: Any,
    ) -> dict[str, Any]:
        """A user, group (`members=[oid, ...]`) or service principal (`client_id`, `secret`: it can
        then sign in) with `roles` (`[{"role": name, "scope": id, "condition": text}]`);
        `dry_run`: what would be added or replaced, nothing written."""
        spec = {"principal_type": principal_type, "roles": roles or [], **kw}
        return dict(self._call("POST", "principals", json=spec, params=_dry(dry_run)))

    def principals(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "principals")["value"])

    def grant(
        self,
        principal_id: str,
        role: str,
        *,
        scope: str | None = None,
        condition: str | None = None,
        dry_run: bool = False,
    ) -> dict[str, Any]:
        """A role assignment written by the sandbox itself (not an ARM call, not authorized);
        `dry_run`: the assignment and whether it is new, nothing written."""
        spec = {"principal_id": principal_id, "role": role, "scope": scope, "condition": condition}
        return dict(self._call("POST", "roleAssignments", json=spec, params=_dry(dry_run)))

    def add_app(
        self,
        client_id: str,
        *,
        secret: str | None = None,
        federated: list[dict[str, Any]] | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """`Sandbox.add_app` over the admin API (`POST /_sandbox/apps`)."""
        spec = {"client_id": client_id, "secret": secret, "federated": federated or [], **kw}
        return dict(self._call("POST", "apps", json=spec))

    def apps(self) -> list[dict[str, Any]]:
        return list(self._call("GET", "apps")["value"])

    def advance_clock(self, seconds: float) -> float:
        return float(self._call("POST", "clock/advance", json={"seconds": seconds})["sim_time"])

    def token(self, oid: str, aud: str = "https://management.azure.com/") -> str:
        return str(self._call("POST", "token", json={"oid": oid, "aud": aud})["access_token"])


def _dry(dry_run: bool) -> dict[str, str]:
    return {"dryRun": "true"} if dry_run else {}
