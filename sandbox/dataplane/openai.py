"""Azure OpenAI inference: embeddings and chat completions, classic and v1 routes.

Classic: `POST /openai/deployments/{deployment}/{embeddings|chat/completions}?api-version=...`;
v1: `POST /openai/v1/{embeddings|chat/completions}` with the deployment's name as `model`
(learn.microsoft.com azure/ai-foundry/openai/api-version-lifecycle, "v1 API").
"""

from __future__ import annotations

import base64
import json
import struct
import time
import uuid
from typing import Any

from infra.catalog.cognitive import EMBEDDING_DIMENSIONS, EMBEDDING_FLEXIBLE_DIMENSIONS, EMBEDDING_MAX_INPUTS
from sandbox.core.state import SandboxState
from sandbox.dataplane import text
from sandbox.dataplane.access import DataPlaneError, admit
from sandbox.dataplane.ratelimit import Limits, limiter

OPENAI_KINDS = ("OpenAI", "AIServices")
ACTION = "Microsoft.CognitiveServices/accounts/OpenAI/deployments/{}/action"
OPS = {
    "embeddings": ("Embeddings_Create", "embeddings"),
    "chat/completions": ("ChatCompletions_Create", "chat/completions"),
}
Reply = tuple[int, dict[str, Any], dict[str, str]]


def handle(
    state: SandboxState,
    account: dict[str, Any],
    method: str,
    rest: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
) -> Reply:
    """`rest` is the path after `/openai/`."""
    parts = rest.strip("/").split("/")
    if parts[0] == "v1":
        operation, deployment_name, template = (
            "/".join(parts[1:]),
            None,
            f"POST /openai/v1/{'/'.join(parts[1:])}",
        )
    elif parts[0] == "deployments" and len(parts) >= 3:
        operation, deployment_name = "/".join(parts[2:]), parts[1]
        template = f"POST /openai/deployments/{{deployment-id}}/{operation}"
        if not query.get("api-version"):
            # [mem] Azure OpenAI answers a classic call without api-version with 404 "Resource not found".
            raise DataPlaneError(404, "404", "Resource not found")
    else:
        raise DataPlaneError(404, "404", "Resource not found")
    if operation not in OPS or method != "POST":
        raise DataPlaneError(404, "404", "Resource not found")
    if account.get("kind") not in OPENAI_KINDS:
        raise DataPlaneError(404, "404", "Resource not found")
    admit(state, account, headers, ACTION.format(OPS[operation][1]), template)
    request = _json(body)
    if deployment_name is None:
        deployment_name = str(request.get("model") or "")
        if not deployment_name:
            raise _invalid("you must provide a model parameter", "model")
    deployment = _deployment(state, account, deployment_name)
    model = deployment["properties"]["model"]["name"]
    if operation == "embeddings":
        result, tokens = _embeddings(request, model)
        budget = tokens
    else:
        result, tokens = _chat(request, model)
        budget = tokens + int(request.get("max_completion_tokens") or request.get("max_tokens") or 0)
    api = query.get("api-version") or "v1"
    headers_out = _rate(state, deployment, budget, OPS[operation][0], api)
    return 200, result, headers_out


def _json(body: bytes) -> dict[str, Any]:
    try:
        doc = json.loads(body or b"{}")
    except ValueError as exc:
        raise _invalid(f"We could not parse the JSON body of your request. ({exc})", None) from exc
    if not isinstance(doc, dict):
        raise _invalid("The request body must be a JSON object.", None)
    return doc


def _invalid(message: str, param: str | None) -> DataPlaneError:
    err = DataPlaneError(400, "invalid_request_error" if param else "BadRequest", message)
    return err


def _deployment(state: SandboxState, account: dict[str, Any], name: str) -> dict[str, Any]:
    doc = state.store.get(f"{account['id']}/deployments/{name}")
    state_ = (doc or {}).get("properties", {}).get("provisioningState")
    if doc is None or state_ != "Succeeded":
        # [mem] the 404 Azure OpenAI sends for an unknown (or not yet ready) deployment.
        raise DataPlaneError(
            404,
            "DeploymentNotFound",
            "The API deployment for this resource does not exist. If you created the deployment "
            "within the last 5 minutes, please wait a moment and try again.",
        )
    return doc


def _unsupported(operation: str, model: str) -> DataPlaneError:
    # [mem] Azure OpenAI's OperationNotSupported text for e.g. embeddings on a chat model.
    return DataPlaneError(
        400,
        "OperationNotSupported",
        f"The {operation} operation does not work with the specified model, {model}. Please choose "
        "different model and try again. You can learn more about which models can be used with each "
        "operation here: https://go.microsoft.com/fwlink/?linkid=2197993.",
    )


def _inputs(raw: Any) -> list[str]:
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, list) and raw and all(isinstance(t, int) for t in raw):
        return [" ".join(f"t{t}" for t in raw)]  # one tokenized input: ids stand for words
    if isinstance(raw, list) and raw:
        out = []
        for item in raw:
            if isinstance(item, str):
                out.append(item)
            elif isinstance(item, list) and all(isinstance(t, int) for t in item):
                out.append(" ".join(f"t{t}" for t in item))
            else:
                raise _invalid("'input' must be a string, an array of strings or of token arrays.", "input")
        return out
    raise _invalid("'input' must be a non-empty string or array.", "input")


def _embeddings(request: dict[str, Any], model: str) -> tuple[dict[str, Any], int]:
    full = EMBEDDING_DIMENSIONS.get(model)
    if full is None:
        raise _unsupported("embeddings", model)
    inputs = _inputs(request.get("input"))
    if len(inputs) > EMBEDDING_MAX_INPUTS:
        raise _invalid(f"Too many inputs. The max number of inputs is {EMBEDDING_MAX_INPUTS}.", "input")
    dims = request.get("dimensions")
    if dims is not None:
        if model not in EMBEDDING_FLEXIBLE_DIMENSIONS:
            # [unverified] wording; the refusal itself follows the models' documented capabilities.
            raise _invalid("This model does not support specifying dimensions.", "dimensions")
        if not isinstance(dims, int) or not 1 <= dims <= full:
            raise _invalid(f"'dimensions' must be an integer between 1 and {full}.", "dimensions")
    fmt = request.get("encoding_format") or "float"
    if fmt not in ("float", "base64"):
        raise _invalid("'encoding_format' must be 'float' or 'base64'.", "encoding_format")
    data, tokens = [], 0
    for i, item in enumerate(inputs):
        vec = text.embed(item, full)
        if dims is not None and dims != full:
            vec = text.shortened(vec, dims)
        tokens += text.count_tokens(item)
        payload: Any = vec
        if fmt == "base64":
            payload = base64.b64encode(struct.pack(f"<{len(vec)}f", *vec)).decode()
        data.append({"object": "embedding", "index": i, "embedding": payload})
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": model, "usage": usage}, tokens


def _content(message: dict[str, Any]) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(p.get("text", "")) for p in content if isinstance(p, dict))
    return str(content or "")


def _chat(request: dict[str, Any], model: str) -> tuple[dict[str, Any], int]:
    if model in EMBEDDING_DIMENSIONS:
        raise _unsupported("chatCompletion", model)
    if request.get("stream"):
        raise _invalid("The sandbox does not stream chat completions; call without stream=true.", "stream")
    messages = request.get("messages")
    if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
        raise _invalid("'messages' must be a non-empty array of messages.", "messages")
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    question = _content(messages[users[-1]]) if users else ""
    context = "\n".join(_content(m) for i, m in enumerate(messages) if not users or i != users[-1])
    # The question's own message may carry the sources after the question (azure-search-openai-demo).
    q_line, _, q_rest = question.partition("\n")
    reply = text.answer(q_line, context + "\n" + q_rest)
    prompt = sum(text.count_tokens(_content(m)) + 4 for m in messages)
    cap = request.get("max_completion_tokens") or request.get("max_tokens")
    finish = "stop"
    words = reply.split(" ")
    if isinstance(cap, int) and text.count_tokens(reply) > cap:
        while words and text.count_tokens(" ".join(words)) > cap:
            words.pop()
        reply, finish = " ".join(words), "length"
    completion = text.count_tokens(reply)
    doc = {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": reply, "refusal": None},
                "finish_reason": finish,
                "logprobs": None,
            }
        ],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
        "system_fingerprint": None,
    }
    return doc, prompt


def _rate(
    state: SandboxState, deployment: dict[str, Any], budget: int, op_name: str, api: str
) -> dict[str, str]:
    capacity = int((deployment.get("sku") or {}).get("capacity") or 1)
    limits = Limits.of_capacity(capacity)
    verdict = limiter(state).take(deployment["id"], state.clock.now(), budget, limits)
    headers = {
        "x-ratelimit-remaining-tokens": str(verdict.remaining_tokens),
        "x-ratelimit-remaining-requests": str(verdict.remaining_requests),
        "x-ratelimit-limit-tokens": str(limits.tokens),
        "x-ratelimit-limit-requests": str(limits.requests),
    }
    if verdict.allowed:
        return headers
    wait = verdict.retry_after
    headers |= {"retry-after": str(wait), "retry-after-ms": str(wait * 1000)}
    # Src: the 429 text of Azure OpenAI (Azure-Samples/azure-search-openai-demo issues on embeddings
    # quota; learn.microsoft.com .../quota "429 ... exceeded token rate limit").
    raise DataPlaneError(
        429,
        "429",
        f"Requests to the {op_name} Operation under Azure OpenAI API version {api} have exceeded token "
        f"rate limit of your current OpenAI S0 pricing tier. Please retry after {wait} seconds. Please "
        "go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default "
        "rate limit.",
        headers=headers,
    )
