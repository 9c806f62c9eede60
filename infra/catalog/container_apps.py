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
    if _gi(memory) != _gi(expected):
        return f"cpu {cpu:g} needs memory '{expected}' (2 GiB per vCPU)"
    return None


def _gi(memory: str) -> Decimal | None:
    text = memory.strip()
    if not text.endswith("Gi"):
        return None
    try:
        return Decimal(text[:-2])
    except ArithmeticError:
        return None


def replica_bounds_problem(min_replicas: int, max_replicas: int) -> str | None:
    """Why (min, max) is not a valid scale rule, or None."""
    if min_replicas < MIN_REPLICAS_FLOOR:
        return f"minReplicas must be >= {MIN_REPLICAS_FLOOR}"
    if not 1 <= max_replicas <= MAX_REPLICAS_CEILING:
        return f"maxReplicas must be 1-{MAX_REPLICAS_CEILING}"
    if min_replicas > max_replicas:
        return f"minReplicas ({min_replicas}) must not exceed maxReplicas ({max_replicas})"
    return None
