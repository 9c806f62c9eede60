"""The ragstack CrossGuard policy pack: `pulumi preview --policy-pack policy` (rules live in infra.policy)."""
