"""`opsctl plan --stack dev` against an import-only baseline (pulumi + the azure-native modules used).

Target (issue 5): about a second on the CI machine, with little overhead above the imports.
Run: `python -m bench.plan [--runs N]`.
"""

from __future__ import annotations

import argparse
import statistics
import sys

from bench.common import PYTHON, describe, time_command

IMPORTS = (
    "import pulumi, pulumi_azure_native.resources, pulumi_azure_native.search, "
    "pulumi_azure_native.cognitiveservices, pulumi_azure_native.containerregistry, "
    "pulumi_azure_native.app, pulumi_azure_native.operationalinsights, "
    "pulumi_azure_native.managedidentity, pulumi_azure_native.authorization"
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
