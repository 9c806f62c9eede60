"""Document Intelligence `documentModels/{model}:analyze` as Azure's long-running operation.

POST answers 202 with `Operation-Location: .../documentModels/{model}/analyzeResults/{id}`; GET on
it returns `{status, createdDateTime, lastUpdatedDateTime, analyzeResult}` (azure-rest-api-specs
specification/ai/DocumentIntelligence 2024-11-30). Results are kept as sandbox records, so they
outlive a restart. F0 accounts analyze only the first two pages (ops-pitfalls D-3).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import uuid
from typing import Any

from infra.catalog.cognitive import DOCINT_API_VERSIONS, DOCINT_FREE_PAGES, DOCINT_MODELS
from sandbox.core.clock import iso
from sandbox.core.state import SandboxState
from sandbox.dataplane import layout
from sandbox.dataplane.access import DataPlaneError, admit

DOCINT_KINDS = ("FormRecognizer", "AIServices", "CognitiveServices")
ANALYZE_ACTION = "Microsoft.CognitiveServices/accounts/FormRecognizer/documentmodels:analyze/action"
READ_ACTION = "Microsoft.CognitiveServices/accounts/FormRecognizer/documentmodels/read"
RECORD = "docint:result"
_ANALYZE = re.compile(r"^documentModels/([^/:]+):analyze$")
_RESULT = re.compile(r"^documentModels/([^/]+)/analyzeResults/([^/]+)$")
Reply = tuple[int, dict[str, Any] | None, dict[str, str]]


def handle(
    state: SandboxState,
    account: dict[str, Any],
    method: str,
    rest: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    base: str,
) -> Reply:
    if account.get("kind") not in DOCINT_KINDS:
        raise DataPlaneError(404, "404", "Resource not found")
    version = query.get("api-version") or ""
    if version not in DOCINT_API_VERSIONS:
        # [mem] Document Intelligence's refusal of a missing or unknown api-version.
        raise DataPlaneError(
            404,
            "404",
            "Resource not found",
            inner={
                "code": "UnsupportedApiVersion",
                "message": f"The sandbox speaks {', '.join(DOCINT_API_VERSIONS)}.",
            },
        )
    if method == "POST" and (m := _ANALYZE.match(rest.strip("/"))):
        admit(
            state,
            account,
            headers,
            ANALYZE_ACTION,
            "POST /documentintelligence/documentModels/{modelId}:analyze",
        )
        return _analyze(state, account, m.group(1), query, headers, body, base, version)
    if method == "GET" and (m := _RESULT.match(rest.strip("/"))):
        admit(
            state,
            account,
            headers,
            READ_ACTION,
            "GET /documentintelligence/documentModels/{modelId}/analyzeResults/{resultId}",
        )
        doc = state.store.record(RECORD, f"{account['id']}|{m.group(2)}".lower())
        if doc is None:
            raise _not_found("The requested analyze result was not found.", "ResultNotFound")
        return 200, doc, {}
    raise DataPlaneError(404, "404", "Resource not found")


def _not_found(message: str, inner: str) -> DataPlaneError:
    # Shape of Document Intelligence errors: error.code + innererror.code (2024-11-30 spec, ErrorResponse).
    return DataPlaneError(404, "NotFound", "Resource not found.", inner={"code": inner, "message": message})


def _bad(inner: str, message: str) -> DataPlaneError:
    return DataPlaneError(
        400, "InvalidRequest", "Invalid request.", inner={"code": inner, "message": message}
    )


def _source(headers: dict[str, str], body: bytes) -> bytes:
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/json":
        if not body:
            raise _bad("InvalidContent", "The request body is empty.")
        return body
    try:
        doc = json.loads(body or b"{}")
    except ValueError as exc:
        raise _bad("InvalidRequestBody", "The request body is not valid JSON.") from exc
    if isinstance(doc, dict) and doc.get("base64Source"):
        try:
            return base64.b64decode(str(doc["base64Source"]), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise _bad("InvalidContent", "base64Source is not valid base64.") from exc
    if isinstance(doc, dict) and doc.get("urlSource"):
        raise _bad(
            "InvalidContentSourceFormat", "The sandbox has no network: send base64Source or the file's bytes."
        )
    raise _bad("InvalidRequestBody", "Specify either base64Source or urlSource.")


def _analyze(
    state: SandboxState,
    account: dict[str, Any],
    model_id: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
    base: str,
    version: str,
) -> Reply:
    if model_id not in DOCINT_MODELS:
        raise _not_found(f"The requested model '{model_id}' was not found.", "ModelNotFound")
    data = _source(headers, body)
    fmt = (query.get("outputcontentformat") or "text").lower()
    if fmt not in ("text", "markdown"):
        raise _bad("InvalidParameter", "outputContentFormat must be 'text' or 'markdown'.")
    try:
        pages = layout.convert(data, headers.get("content-type", ""))
    except layout.UnsupportedContent as exc:
        # [mem] the service's text for corrupt or unsupported files.
        raise _bad(
            "InvalidContent",
            "The file is corrupted or format is unsupported. Refer to documentation for the list of "
            "supported formats.",
        ) from exc
    if (account.get("sku") or {}).get("name") == "F0":
        pages = pages[:DOCINT_FREE_PAGES]
    result_id = str(uuid.uuid4())
    now = iso(state.clock.now())
    doc = {
        "status": "succeeded",
        "createdDateTime": now,
        "lastUpdatedDateTime": now,
        "analyzeResult": layout.analyze_result(
            pages, model_id=model_id, api_version=version, markdown=fmt == "markdown"
        ),
    }
    state.store.put_record(RECORD, f"{account['id']}|{result_id}".lower(), doc)
    path = f"documentintelligence/documentModels/{model_id}/analyzeResults/{result_id}"
    location = f"{base}/{path}?api-version={version}"
    return 202, None, {"Operation-Location": location, "Retry-After": "1"}
