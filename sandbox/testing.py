"""Test helpers: make the Azure SDK's sleeps follow the sandbox's simulated clock.

The SDK honours `Retry-After` (always >= 1 s from the sandbox) for LRO polls and 429 retries,
and backs off between connection retries. All of it goes through `transport.sleep`
(`LROBasePolling._sleep` and `RetryPolicy.sleep` both call it), so scaling that one method by
the sandbox's `time_scale` keeps simulated and client time in step. The RP auto-registration
policy (azure-mgmt-core `ARMAutoResourceProviderRegistrationPolicy`) calls `time.sleep(10)`
directly; its module's `time` is swapped for a scaled one too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace


@contextmanager
def scaled_sdk_sleeps(time_scale: float) -> Iterator[None]:
    from azure.core.pipeline.transport import RequestsTransport

    original = RequestsTransport.__dict__.get("sleep")

    def sleep(self: RequestsTransport, duration: float) -> None:
        time.sleep(duration / time_scale)

    import azure.mgmt.core.policies._base as registration

    real_time = registration.time
    registration.time = SimpleNamespace(  # type: ignore[assignment]
        sleep=lambda seconds: time.sleep(seconds / time_scale), time=time.time
    )
    RequestsTransport.sleep = sleep
    try:
        yield
    finally:
        registration.time = real_time
        if original is None:
            del RequestsTransport.sleep
        else:
            RequestsTransport.sleep = original
