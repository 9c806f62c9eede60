"""The GitHub Actions workflows, checked offline: schema, OIDC-only Azure access, least permissions,
per-stack concurrency, a gated production deploy, pinned actions, and valid opsctl command lines."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from typing import Any

import pytest

from tests.delivery import opsctl_surface as surface
from tests.delivery.workflows import (
    ROOT,
    invocations,
    jobs,
    opsctl_command_lines,
    run_scripts,
    steps,
    uses,
    workflow_paths,
    workflows,
)

EXPECTED_WORKFLOWS = {"ci.yml", "pr.yml", "deploy.yml", "preview-env.yml", "nightly.yml"}
AZURE_LOGIN = "azure/login"
PULUMI = "pulumi/actions"
ALLOWED_SECRETS = {"PULUMI_CONFIG_PASSPHRASE"}
STACK_CHANGING_COMMANDS = {
    "up",
    "down",
    "teardown",
    "app set-image",
    "scale",
    "access grant",
    "access revoke",
}
PULUMI_CHANGING_COMMANDS = {"up", "update", "destroy", "refresh"}
PIN = re.compile(r"^\s*(?:-\s*)?uses:\s*(?P<action>[\w.-]+/[\w./-]+)@(?P<ref>\S+)(?P<comment>.*)$")

ALL = workflows()
ALL_JOBS = [(name, job_id, job) for name, wf in ALL.items() for job_id, job in jobs(wf).items()]


def job_ids(items: list[tuple[str, str, dict[str, Any]]]) -> list[str]:
    return [f"{name}:{job_id}" for name, job_id, _ in items]


def dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True)


def is_true(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def pulumi_commands(job: dict[str, Any]) -> list[tuple[str, str]]:
    """(command, stack) of every pulumi/actions step that runs a command."""
    found = []
    for step in uses(job, PULUMI):
        with_ = step.get("with") or {}
        if with_.get("command"):
            found.append((str(with_["command"]), str(with_.get("stack-name", ""))))
    return found


def opsctl_paths(job: dict[str, Any]) -> list[str]:
    stub = surface.stub_app()
    return [
        " ".join(surface.command_path(stub, args))
        for _, script in run_scripts(job)
        for args in opsctl_command_lines(script)
    ]


def changes_a_stack(job: dict[str, Any]) -> bool:
    if any(command in PULUMI_CHANGING_COMMANDS for command, _ in pulumi_commands(job)):
        return True
    if any("pulumi stack rm" in script for _, script in run_scripts(job)):
        return True
    paths = opsctl_paths(job)
    return any(p in STACK_CHANGING_COMMANDS or p.split()[:1] == ["scale"] for p in paths)


def talks_to_azure(job: dict[str, Any]) -> bool:
    return bool(uses(job, AZURE_LOGIN) or pulumi_commands(job))


STACK_JOBS = [(n, j, job) for n, j, job in ALL_JOBS if changes_a_stack(job)]
AZURE_JOBS = [(n, j, job) for n, j, job in ALL_JOBS if talks_to_azure(job)]


def test_the_expected_workflows_exist() -> None:
    assert {p.name for p in workflow_paths()} == EXPECTED_WORKFLOWS


def test_workflows_match_the_github_workflow_schema_offline() -> None:
    """check-jsonschema ships the schema; an unroutable proxy proves no network is used."""
    env = {**os.environ, "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            *map(str, workflow_paths()),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_a_broken_workflow(tmp_path: Any) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    stepz: []\n")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(broken),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0


@pytest.mark.parametrize("name", sorted(ALL))
def test_default_token_is_read_only(name: str) -> None:
    assert ALL[name].get("permissions") == {"contents": "read"}


@pytest.mark.parametrize(("name", "job_id", "job"), ALL_JOBS, ids=job_ids(ALL_JOBS))
def test_every_job_declares_least_permissions(name: str, job_id: str, job: dict[str, Any]) -> None:
    permissions = job.get("permissions")
    assert isinstance(permissions, dict), f"{name}:{job_id} must declare its permissions"
    assert permissions.get("contents") == "read"
    allowed = {"contents": "read", "id-token": "write", "pull-requests": "write"}
    assert all(allowed.get(key) == value for key, value in permissions.items()), permissions
    assert (permissions.get("id-token") == "write") == talks_to_azure(job), (
        f"{name}:{job_id}: id-token: write exactly when the job logs in to Azure"
    )
    comments = any(
        "sticky-comment" in dump(s.get("with")) or is_true((s.get("with") or {}).get("comment-on-pr"))
        for s in steps(job)
    )
    assert (permissions.get("pull-requests") == "write") == comments, (
        f"{name}:{job_id}: pull-requests: write exactly when the job comments"
    )


@pytest.mark.parametrize(("name", "job_id", "job"), AZURE_JOBS, ids=job_ids(AZURE_JOBS))
def test_azure_access_is_oidc_only(name: str, job_id: str, job: dict[str, Any]) -> None:
    logins = uses(job, AZURE_LOGIN)
    assert logins, f"{name}:{job_id} talks to Azure without azure/login"
    first_login = steps(job).index(logins[0])
    for step in logins:
        with_ = step.get("with") or {}
        assert set(with_) == {"client-id", "tenant-id", "subscription-id"}, with_
        assert with_["client-id"] == "${{ vars.AZURE_CLIENT_ID }}"
        assert with_["tenant-id"] == "${{ vars.AZURE_TENANT_ID }}"
        assert with_["subscription-id"] == "${{ vars.AZURE_SUBSCRIPTION_ID }}"
    for step in uses(job, PULUMI):
        if (step.get("with") or {}).get("command"):
            assert steps(job).index(step) > first_login, "pulumi runs after azure/login"
    if pulumi_commands(job) or any("pulumi " in script for _, script in run_scripts(job)):
        env = job.get("env") or {}
        assert str(env.get("ARM_USE_OIDC")) == "true"
        assert env.get("ARM_CLIENT_ID") == "${{ vars.AZURE_CLIENT_ID }}"
        assert env.get("ARM_TENANT_ID") == "${{ vars.AZURE_TENANT_ID }}"
        assert env.get("ARM_SUBSCRIPTION_ID") == "${{ vars.AZURE_SUBSCRIPTION_ID }}"
        assert env.get("PULUMI_BACKEND_URL") == "${{ vars.PULUMI_BACKEND_URL }}"
    assert "vars.AZURE_CLIENT_ID != ''" in str(job.get("if", "")), "runs only when Azure is configured"


@pytest.mark.parametrize("name", sorted(ALL))
def test_no_client_secrets_passwords_or_admin_credentials(name: str) -> None:
    text = dump(ALL[name])
    for pattern in (
        r"(?i)password",
        r"(?i)\badmin",
        r"(?i)\bcreds\b",
        r"(?i)client[-_]secret",
        r"AZURE_CREDENTIALS",
        r"(?i)acr credential",
        r"(?i)docker/login-action",
        r"(?i)--expose-token",
    ):
        assert not re.search(pattern, text), f"{name} matches {pattern}"
    used = set(re.findall(r"secrets\.([A-Za-z_][A-Za-z0-9_]*)", text))
    assert used <= ALLOWED_SECRETS, f"{name} uses secrets {sorted(used - ALLOWED_SECRETS)}"


def test_stack_changing_jobs_are_found() -> None:
    found = {f"{n}:{j}" for n, j, _ in STACK_JOBS}
    assert found == {
        "deploy.yml:dev",
        "deploy.yml:production",
        "preview-env.yml:deploy",
        "preview-env.yml:teardown",
        "nightly.yml:janitor",
    }


@pytest.mark.parametrize(("name", "job_id", "job"), STACK_JOBS, ids=job_ids(STACK_JOBS))
def test_stack_changing_jobs_never_overlap(name: str, job_id: str, job: dict[str, Any]) -> None:
    concurrency = job.get("concurrency")
    assert isinstance(concurrency, dict), f"{name}:{job_id} needs a job-level concurrency group"
    assert concurrency.get("cancel-in-progress") is False, "never cancel a running deployment"
    group = str(concurrency["group"])
    for _, stack in pulumi_commands(job):
        expected = {"dev": "ragstack-stack-dev", "prod": "ragstack-stack-prod"}.get(stack)
        if stack == "${{ env.STACK }}":
            expected = "ragstack-stack-pr-${{ github.event.number }}"
        assert group == expected, f"{name}:{job_id}: group {group!r} for stack {stack!r}"


def test_one_group_per_stack_across_workflows() -> None:
    groups: dict[str, set[str]] = {}
    for name, job_id, job in STACK_JOBS:
        groups.setdefault(str(job["concurrency"]["group"]), set()).add(f"{name}:{job_id}")
    assert groups["ragstack-stack-pr-${{ github.event.number }}"] == {
        "preview-env.yml:deploy",
        "preview-env.yml:teardown",
    }


def test_production_deploys_only_behind_the_production_environment() -> None:
    prod_jobs = [
        (n, j, job)
        for n, j, job in ALL_JOBS
        if any(c in PULUMI_CHANGING_COMMANDS and s == "prod" for c, s in pulumi_commands(job))
        or str((job.get("env") or {}).get("STACK")) == "prod"
    ]
    assert [f"{n}:{j}" for n, j, _ in prod_jobs] == ["deploy.yml:production"]
    _, _, job = prod_jobs[0]
    environment = job["environment"]
    assert (environment.get("name") if isinstance(environment, dict) else environment) == "production"
    assert job["needs"] == "dev"


def test_every_action_is_pinned_to_a_full_commit_sha_with_its_version() -> None:
    pins: dict[str, set[str]] = {}
    count = 0
    for path in workflow_paths():
        for line in path.read_text().splitlines():
            if "uses:" not in line or line.strip().startswith("#"):
                continue
            match = PIN.match(line)
            assert match, f"{path.name}: cannot read {line.strip()!r}"
            assert re.fullmatch(r"[0-9a-f]{40}", match["ref"]), f"{path.name}: {line.strip()} is not a SHA"
            assert re.fullmatch(r"\s*# v\d+\.\d+\.\d+", match["comment"]), f"{line.strip()}: add '# vX.Y.Z'"
            pins.setdefault(match["action"].lower(), set()).add(match["ref"] + match["comment"].strip())
            count += 1
    assert count > 0
    assert all(len(refs) == 1 for refs in pins.values()), f"one version per action: {pins}"


def test_ci_runs_make_test_on_python_311_with_pip_cache() -> None:
    ci = ALL["ci.yml"]
    assert set(ci["on"]) == {"push", "pull_request"}
    (job,) = jobs(ci).values()
    (setup,) = uses(job, "actions/setup-python")
    assert setup["with"]["python-version"] == "3.11" and setup["with"]["cache"] == "pip"
    assert [script for _, script in run_scripts(job)] == ["make test"]


def test_pr_plan_diffs_against_the_base_branch_without_credentials() -> None:
    pr = ALL["pr.yml"]
    plan = jobs(pr)["plan"]
    assert not talks_to_azure(plan) and "env" not in plan
    checkouts = uses(plan, "actions/checkout")
    assert checkouts[1]["with"]["ref"] == "${{ github.event.pull_request.base.sha }}"
    scripts = "\n".join(script for _, script in run_scripts(plan))
    assert "--diff-against" in scripts and "--output json" in scripts
    assert any("sticky-comment" in dump(s.get("with")) for s in steps(plan))

    preview = jobs(pr)["preview"]
    (step,) = uses(preview, PULUMI)
    assert step["with"]["command"] == "preview" and step["with"]["policyPacks"] == "policy"
    assert step["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"


def test_deploy_builds_pushes_and_rolls_out_per_stack() -> None:
    deploy = ALL["deploy.yml"]
    assert deploy["on"]["push"]["branches"] == ["main"]
    assert "app/Dockerfile" in deploy["env"]["DOCKERFILE"]
    dev, production = jobs(deploy)["dev"], jobs(deploy)["production"]
    assert pulumi_commands(dev) == [("up", "dev")] and pulumi_commands(production) == [("up", "prod")]
    for job in (dev, production):
        (up,) = [s for s in uses(job, PULUMI) if s["with"].get("command")]
        assert is_true(up["with"]["refresh"])
        assert up["with"]["cloud-url"] == "${{ vars.PULUMI_BACKEND_URL }}"
        paths = opsctl_paths(job)
        assert "app set-image" in paths
        assert "smoke" in paths[paths.index("app set-image") :], "smoke runs after each rollout"
        # smoke queries each declared index: the index must exist (and match its definition) first
        assert "index apply" in paths[: paths.index("smoke")], "index apply runs before smoke"
    assert uses(dev, "docker/setup-buildx-action") and uses(dev, "docker/build-push-action")
    build = uses(dev, "docker/build-push-action")[0]
    assert build["if"] == "steps.image.outputs.build == 'true'" and is_true(build["with"]["push"])
    scripts = "\n".join(script for _, script in run_scripts(dev))
    assert "az acr login --name" in scripts and "registryLoginServer" in scripts


PRIVATE_RUNNER = "vars.PROD_RUNS_ON"


def test_a_private_production_deploys_from_a_runner_in_its_network_never_through_a_firewall_hole() -> None:
    """Issue 14: a private prod refuses the hosted runner, so the production job runs where the
    repository variable PROD_RUNS_ON says (a self-hosted runner in the VNet), hosted otherwise; no
    workflow opens a registry or service firewall for a runner's IP (README "Private networking")."""
    deploy = jobs(ALL["deploy.yml"])
    runs_on = deploy["production"]["runs-on"]
    assert PRIVATE_RUNNER in runs_on and f"fromJSON({PRIVATE_RUNNER})" in runs_on
    assert "'ubuntu-latest'" in runs_on, "a public stack keeps the hosted runner"
    assert deploy["dev"]["runs-on"] == "ubuntu-latest"
    opening = re.compile(r"network-rule add|--public-network-enabled true|--default-action allow", re.I)
    for name in ALL:
        scripts = "\n".join(script for job in jobs(ALL[name]).values() for _, script in run_scripts(job))
        assert not opening.search(scripts), f"{name} opens a firewall for the runner"
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "PROD_RUNS_ON" in readme and "## Private networking" in readme


def test_preview_environments_follow_the_pull_request() -> None:
    preview = ALL["preview-env.yml"]
    assert preview["on"]["pull_request"]["types"] == ["opened", "synchronize", "reopened", "closed"]
    deploy, teardown = jobs(preview)["deploy"], jobs(preview)["teardown"]
    assert "github.event.action != 'closed'" in deploy["if"]
    assert "github.event.action == 'closed'" in teardown["if"]
    assert opsctl_paths(deploy)[0] == "stack new"
    assert opsctl_paths(teardown) == ["stack new", "teardown"]
    scripts = "\n".join(script for _, script in run_scripts(teardown))
    assert "--purge --yes" in scripts and "pulumi stack rm" in scripts


def test_nightly_janitor_and_drift() -> None:
    nightly = ALL["nightly.yml"]
    assert set(nightly["on"]) == {"schedule", "workflow_dispatch"}
    janitor, drift = jobs(nightly)["janitor"], jobs(nightly)["drift"]
    janitor_lines = [a for _, s in run_scripts(janitor) for a in opsctl_command_lines(s)]
    assert janitor_lines[0][:6] == ("teardown", "--all-ephemeral", "--older-than", "24h", "--purge", "--yes")
    assert drift["strategy"]["matrix"]["stack"] == ["dev", "prod"]
    assert drift["strategy"]["fail-fast"] is False
    (script,) = [s for _, s in run_scripts(drift) if "opsctl drift" in s]
    assert 'exit "$rc"' in script


INVOCATIONS = invocations()


def test_workflows_use_opsctl() -> None:
    used = {" ".join(surface.command_path(surface.stub_app(), i.args)) for i in INVOCATIONS}
    assert used == {"plan", "app set-image", "teardown", "drift", "stack new", "index apply", "smoke"}


@pytest.mark.parametrize(
    "invocation", INVOCATIONS, ids=[f"{i.workflow}:{i.job}:{i.text}" for i in INVOCATIONS]
)
def test_every_opsctl_command_line_parses(invocation: Any) -> None:
    try:
        surface.validate_invocation(invocation.args)
    except surface.parse_errors() as exc:
        pytest.fail(
            f"{invocation.workflow}:{invocation.job} `{invocation.text}`: {surface.error_message(exc)}"
        )


def test_stack_new_ttls_in_workflows_are_valid() -> None:
    from opsctl.stacks import parse_ttl

    ttls = [
        i.args[i.args.index("--ttl") + 1]
        for i in INVOCATIONS
        if i.args[:2] == ("stack", "new") and "--ttl" in i.args
    ]
    assert ttls
    for ttl in ttls:
        parse_ttl(ttl)
