"""`opsctl plan --stack dev` against an import-only baseline (pulumi + the azure-native modules used).

Target (issue 5): about a second on the CI machine, with little overhead above the imports.
Run: `python -m bench.plan [--runs N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from bench.common import PYTHON, describe, time_command

# azure-native loads a provider module's resources on first attribute access, so the baseline
# touches every class the program uses, not just the packages.
IMPORTS = (
    "import pulumi\n"
    "import pulumi_azure_native.resources as r, pulumi_azure_native.search as s\n"
    "import pulumi_azure_native.cognitiveservices as c, pulumi_azure_native.containerregistry as cr\n"
    "import pulumi_azure_native.app as a, pulumi_azure_native.operationalinsights as o\n"
    "import pulumi_azure_native.managedidentity as m, pulumi_azure_native.authorization as z\n"
    "r.ResourceGroup, s.Service, c.Account, c.Deployment, cr.Registry, a.ContainerApp\n"
    "a.ManagedEnvironment, o.Workspace, o.get_shared_keys, m.UserAssignedIdentity, z.RoleAssignment\n"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    baseline = time_command([PYTHON, "-c", IMPORTS], runs=runs)
    print(f"baseline  import pulumi + azure-native modules  {describe(baseline)}")
    for label, argv in (
        ("opsctl plan --stack dev -o json", ["plan", "--stack", "dev", "-o", "json"]),
        ("opsctl plan --stack prod -o json", ["plan", "--stack", "prod", "-o", "json"]),
        ("opsctl plan --stack dev --format arm", ["plan", "--stack", "dev", "--format", "arm"]),
    ):
        samples = time_command([PYTHON, "-m", "opsctl", *argv], runs=runs)
        extra = statistics.median(samples) - statistics.median(baseline)
        print(f"{label:<42}{describe(samples)}  (+{extra * 1000:.0f} ms over baseline)")


if __name__ == "__main__":
    sys.exit(main())
