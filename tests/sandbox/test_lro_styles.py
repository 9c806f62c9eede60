"""The three LRO styles of the core, driven by azure-mgmt-core's own ARMPolling."""

from __future__ import annotations

import json

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.polling import LROPoller
from azure.core.rest import HttpRequest
from azure.mgmt.core.polling.arm_polling import ARMPolling
from azure.mgmt.resource.resources import ResourceManagementClient

from sandbox import SANDBOX_SUBSCRIPTION_ID
from tests.sandbox import sample_provider

URL = f"/subscriptions/{SANDBOX_SUBSCRIPTION_ID}/resourceGroups/rg/providers/Microsoft.Sample/widgets"


@pytest.fixture
def sample(sandbox_dir, sdk_sleeps_follow_sandbox):
    from sandbox import Sandbox

    with Sandbox(
        sandbox_dir,
        time_scale=sdk_sleeps_follow_sandbox,
        extra_providers=[sample_provider.provider],
    ) as sb:
        sb.connection.client(ResourceManagementClient).resource_groups.create_or_update(
            "rg", {"location": "eastus"}
        )
        yield sb


def _begin(sb, name, style):
    """What a generated begin_* does: initial PUT through the mgmt pipeline, then ARMPolling."""
    conn = sb.connection
    client = conn.client(ResourceManagementClient)._client  # the ARMPipelineClient (auth, retry)
    body = json.dumps({"location": "eastus", "sku": {"name": style}})
    request = HttpRequest(
        "PUT",
        f"{conn.endpoint}{URL}/{name}?api-version=2025-01-01",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    initial = client._pipeline.run(request)
    poller = LROPoller(client, initial, lambda r: json.loads(r.http_response.text()), ARMPolling(timeout=30))
    return initial, poller


@pytest.mark.parametrize(
    "style,header", [("aao", "azure-asyncoperation"), ("location", "location"), ("body", None)]
)
def test_each_style_completes_through_arm_polling(sample, style, header):
    initial, poller = _begin(sample, f"w-{style}", style)
    headers = {k.lower(): v for k, v in initial.http_response.headers.items()}
    assert initial.http_response.status_code == 201
    assert int(headers["retry-after"]) >= 1
    if header:
        assert headers[header].startswith(sample.connection.endpoint + "/subscriptions/")
    result = poller.result()
    assert poller.status() == "Succeeded"
    assert result["properties"]["provisioningState"] == "Succeeded"
    polls = [r for r in sample.requests.list(method="GET")]
    assert polls, "the poller must have polled the sandbox"


def test_aao_status_body_reports_failure_with_error(sample):
    sample.faults.fail_lro("WidgetBroken", "The widget fell apart.", path="widgets/w1$", method="PUT")
    _, poller = _begin(sample, "w1", "aao")
    with pytest.raises(HttpResponseError) as exc:
        poller.result()
    assert exc.value.error.code == "WidgetBroken"
    assert exc.value.status_code == 200  # AAO status URL answers 200 with status Failed
    status = sample.requests.list(path="operationStatuses")[-1]
    assert status["status"] == 200


def test_canceled_lro(sample):
    sample.faults.fail_lro("Canceled", "Stopped.", path="widgets/w2$", lro_status="Canceled")
    _, poller = _begin(sample, "w2", "aao")
    with pytest.raises(HttpResponseError):
        poller.result()
    assert poller.status() == "Canceled"


def test_fifteen_simulated_minutes_take_milliseconds(sample):
    import time

    started = time.perf_counter()
    _, poller = _begin(sample, "w3", "body")
    poller.result()
    assert time.perf_counter() - started < 2.0
    polls = sample.requests.list(method="GET", path="widgets/w3")
    # 900 simulated s at Retry-After 15 => about 60 polls, not one per wall-clock tick
    assert 1 <= len(polls) <= 70
