"""Container Apps limits: CPU/memory pairs and replica bounds.

Sources: learn.microsoft.com/azure/container-apps/containers (allocations: 0.25 vCPU steps up to 4,
memory fixed at 2 GiB per vCPU on the Consumption profile) and scale-app (min 0, max 1..1000);
ops-pitfalls C-3.
"""

from __future__ import annotations

from decimal import Decimal

MIN_REPLICAS_FLOOR = 0
MAX_REPLICAS_CEILING = 1000

CPU_MEMORY_PAIRS: dict[Decimal, str] = {Decimal(q) / 4: f"{Decimal(q) / 2:g}Gi" for q in range(1, 17)}


def cpu_memory_problem(cpu: float, memory: str) -> str | None:
    """Why (cpu, memory) is not a Consumption allocation, or None."""
    key = Decimal(str(cpu))
    expected = CPU_MEMORY_PAIRS.get(key)
    if expected is None:
        return "cpu must be 0.25 to 4.0 in steps of 0.25"
    # The project's settings spell memory as the allocation table does ("2Gi"); the sandbox,
    # like Azure, normalises `Mi` with memory_gi() before asking.
    if not memory.strip().endswith("Gi") or memory_gi(memory) != memory_gi(expected):
        return f"cpu {cpu:g} needs memory '{expected}' (2 GiB per vCPU)"
    return None


# Memory is a Kubernetes quantity: `Gi` or `Mi` (spec example ContainerApps_CreateOrUpdate.json
# uses "100Mi"; learn.microsoft.com azure/container-apps/containers "memory ... in Gi or Mi").
_UNITS = {"Gi": Decimal(1), "Mi": Decimal(1) / 1024}


def memory_gi(memory: str) -> Decimal | None:
    """A memory quantity in GiB, or None when it is not a `Gi`/`Mi` quantity."""
    text = str(memory).strip()
    unit = _UNITS.get(text[-2:])
    if unit is None:
        return None
    try:
        return Decimal(text[:-2]) * unit
    except ArithmeticError:
        return None


# Container App names: lower-case letters, digits and '-', starting with a letter, ending
# alphanumeric, no '--', 2-32 characters (the ContainerAppInvalidName text, Azure/azure-dev reports).
APP_NAME_PATTERN = r"^(?!.*--)[a-z][a-z0-9-]{0,30}[a-z0-9]$"


def replica_bounds_problem(min_replicas: int, max_replicas: int) -> str | None:
    """Why (min, max) is not a valid scale rule, or None."""
    if min_replicas < MIN_REPLICAS_FLOOR:
        return f"minReplicas must be >= {MIN_REPLICAS_FLOOR}"
    if not 1 <= max_replicas <= MAX_REPLICAS_CEILING:
        return f"maxReplicas must be 1-{MAX_REPLICAS_CEILING}"
    if min_replicas > max_replicas:
        return f"minReplicas ({min_replicas}) must not exceed maxReplicas ({max_replicas})"
    return None


# The log stream (`az containerapp logs show`, azure-cli src/azure-cli/azure/cli/command_modules/
# containerapp/custom.py `stream_containerapp_logs`): the app's `properties.eventStreamEndpoint` is
# on `https://<region>.azurecontainerapps.dev/subscriptions/...` (the same file's
# `stream_environment_logs` builds that host; an exported app in a public repo shows
# `.../containerApps/<name>/eventstream`); `--tail` must be 0-300; system logs are JSON only and
# take no revision, replica or container.
LOG_STREAM_DOMAIN = "azurecontainerapps.dev"
LOG_TAIL_MAX = 300
LOG_TYPES = ("console", "system")
LOG_FORMATS = ("text", "json")
