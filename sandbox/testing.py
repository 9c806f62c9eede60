"""Test helpers: make the Azure SDK's sleeps follow the sandbox's simulated clock.

The SDK honours `Retry-After` (always >= 1 s from the sandbox) for LRO polls and 429 retries,
and backs off between connection retries. All of it goes through `transport.sleep`
(`LROBasePolling._sleep` and `RetryPolicy.sleep` both call it), so routing that one method to
the sandbox's clock keeps simulated and client time in step. The RP auto-registration policy
(azure-mgmt-core `ARMAutoResourceProviderRegistrationPolicy`) calls `time.sleep(10)` directly;
its module's `time` is swapped too, and so is the openai SDK's (its retries sleep with `time.sleep`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any


@contextmanager
def sdk_sleeps_follow(sleep: Callable[[float], None]) -> Iterator[None]:
    """Every azure-core transport sleep and the RP registration sleep call `sleep(seconds)`."""
    from azure.core.pipeline.transport import RequestsTransport

    original = RequestsTransport.__dict__.get("sleep")

    def transport_sleep(self: RequestsTransport, duration: float) -> None:
        sleep(duration)

    import azure.mgmt.core.policies._base as registration
    import openai._base_client as openai_client

    # The openai SDK's retries (429 Retry-After, backoff) call its module's `time.sleep`.
    modules: tuple[Any, ...] = (registration, openai_client)
    real_times = [module.time for module in modules]
    for module in modules:
        module.time = SimpleNamespace(sleep=sleep, time=time.time)
    RequestsTransport.sleep = transport_sleep
    try:
        yield
    finally:
        for module, real_time in zip(modules, real_times, strict=True):
            module.time = real_time
        if original is None:
            del RequestsTransport.sleep
        else:
            RequestsTransport.sleep = original


@contextmanager
def scaled_sdk_sleeps(time_scale: float) -> Iterator[None]:
    """SDK sleeps divided by `time_scale`, for a wall-driven sandbox running that much faster."""
    with sdk_sleeps_follow(lambda seconds: time.sleep(seconds / time_scale)):
        yield
