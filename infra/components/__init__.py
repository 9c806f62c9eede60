"""Pulumi components, one module per Azure service; `infra.program` wires them into an environment."""
