"""`opsctl tiers compare`: AI Search tiers from the catalog, the stack's position marked."""

from __future__ import annotations

from pathlib import Path

import typer

from opsctl.cli.output import OUTPUT_OPTION, OutputFormat, print_json, print_table, structured

app = typer.Typer(help="Compare AI Search tiers (limits and prices from the catalog).", no_args_is_help=True)
COLUMNS = [
    "sku",
    "maxIndexes",
    "storagePerPartitionGB",
    "vectorIndexPerPartitionGB",
    "maxReplicas",
    "maxPartitions",
    "semanticRanker",
    "pricePerUnitMonthly",
    "stack",
]


@app.command("compare")
def compare(
    stack: str | None = typer.Option(None, "--stack", "-s", help="Mark this stack's tier, scale and cost."),
    project_dir: Path = typer.Option(
        Path("."), "--project-dir", help="Directory holding Pulumi.<stack>.yaml."
    ),
    output: OutputFormat = OUTPUT_OPTION,
) -> None:
    """Free to L2: indexes, storage and vector quota per partition, replicas, partitions, semantic
    ranker, price per search unit per month; offline (the stack file, not the live service)."""
    from opsctl.tiers import compare_tiers

    position = None
    if stack is not None:
        from opsctl.environment import load_environment

        search = load_environment(stack, project_dir=project_dir).settings.search
        position = {"sku": search.sku, "replicas": search.replicas, "partitions": search.partitions}
    rows = compare_tiers(position)
    if structured(output):
        print_json({"stack": stack, "tiers": rows})
    else:
        print_table(rows, COLUMNS, title="AI Search tiers (prices: USD per search unit per month)")
