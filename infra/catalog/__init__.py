"""Facts about Azure that both `infra` and `opsctl` read: one place, plain data, no pulumi imports."""
