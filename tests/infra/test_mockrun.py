"""The mock harness itself: repeatable, pluggable, and faithful about parents, options and outputs."""

from __future__ import annotations

import contextlib
from typing import Any

import pulumi
import pytest
from pulumi.runtime import MockResourceArgs

import infra.mockrun as mockrun
from infra.mockrun import ArmMocks, render
from tests.infra.conftest import SUBSCRIPTION, rendered_stack, stack_settings


class SandboxLikeMocks(ArmMocks):
    """Stands in for a sandbox: its own endpoints and ids, proving the program uses what ARM returns."""

    def __init__(self) -> None:
        super().__init__(SUBSCRIPTION)
        self.seen: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        self.seen.append((args.typ, args.name, dict(args.inputs)))
        resource_id, state = super().new_resource(args)
        if args.typ == "azure-native:search:Service":
            state["endpoint"] = "https://sandbox.local/search"
        if args.typ == "azure-native:containerregistry:Registry":
            state["loginServer"] = "registry.sandbox.local"
        return resource_id, state


def test_custom_mocks_see_every_registration_and_their_outputs_flow_into_the_program() -> None:
    mocks = SandboxLikeMocks()
    rendered = render(stack_settings("dev"), subscription_id=SUBSCRIPTION, mocks=mocks)
    assert sorted(name for _, name, _ in mocks.seen) == sorted(r.name for r in rendered.resources)
    assert rendered.outputs["searchEndpoint"] == "https://sandbox.local/search"
    app = rendered.one("azure-native:app:ContainerApp")
    assert app.inputs["configuration"]["registries"][0]["server"] == "registry.sandbox.local"
    (container,) = app.inputs["template"]["containers"]
    env = {v["name"]: v["value"] for v in container["env"]}
    assert env["AZURE_SEARCH_ENDPOINT"] == "https://sandbox.local/search"
    search_inputs = next(inputs for typ, _, inputs in mocks.seen if typ == "azure-native:search:Service")
    assert search_inputs["searchServiceName"] == rendered.outputs["searchName"]


def test_renders_repeat_in_one_process_without_leaking_state() -> None:
    first, other = rendered_stack("dev"), rendered_stack("prod")
    second = render(stack_settings("dev"), subscription_id=SUBSCRIPTION)
    assert len(first.resources) == len(second.resources) == len({r.urn for r in second.resources})
    assert all(":prod::" in r.urn for r in other.resources)
    assert all(":dev::" in r.urn for r in second.resources)


def test_preview_renders_the_same_plan() -> None:
    preview = render(stack_settings("dev"), subscription_id=SUBSCRIPTION, preview=True)
    full = rendered_stack("dev")
    assert [(r.type, r.name) for r in sorted(preview.resources, key=lambda r: r.urn)] == [
        (r.type, r.name) for r in sorted(full.resources, key=lambda r: r.urn)
    ]


def test_records_ids_urns_parents_and_inputs() -> None:
    rendered = rendered_stack("dev")
    group = rendered.one("azure-native:resources:ResourceGroup")
    assert group.id == f"/subscriptions/{SUBSCRIPTION}/resourceGroups/rg-ragstack-dev"
    assert (
        group.urn
        == "urn:pulumi:dev::ragstack::ragstack:azure:ResourceGroup$azure-native:resources:ResourceGroup::rg"
    )
    assert rendered.by_urn(group.parent or "").type == "ragstack:azure:ResourceGroup"
    assert rendered.stack_urn == "urn:pulumi:dev::ragstack::pulumi:pulumi:Stack::ragstack-dev"
    search = rendered.one("azure-native:search:Service")
    assert search.property_dependencies["resourceGroupName"] == (group.urn,)
    assert search.depends_on == ()
    with pytest.raises(LookupError):
        rendered.one("azure-native:cognitiveservices:Account")


def test_default_mocks_answer_like_arm() -> None:
    rendered = rendered_stack("prod")
    identity = rendered.one("azure-native:managedidentity:UserAssignedIdentity")
    assert (
        len(identity.outputs["principalId"]) == 36
        and identity.outputs["clientId"] != identity.outputs["principalId"]
    )
    account = rendered.one("azure-native:cognitiveservices:Account", "openai")
    assert account.outputs["properties"]["endpoints"]["OpenAI Language Model Instance API"].endswith(
        ".openai.azure.com/"
    )
    with pytest.raises(NotImplementedError, match="no answer for invoke azure-native:x:y"):
        from pulumi.runtime import MockCallArgs

        ArmMocks(SUBSCRIPTION).call(MockCallArgs("azure-native:x:y", {}, ""))


def test_what_the_mock_run_skips_changes_nothing_a_render_registers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The mock run drops pulumi-azure-native's per-API-version aliases and the per-resource
    source-position stack walk (bench/render.py: 3-6x faster renders); run as the SDKs do, every
    resource, URN, parent, dependency and input is the same."""
    lean = rendered_stack("dev")
    monkeypatch.setattr(mockrun, "_without_provider_version_aliases", lambda args: None)
    monkeypatch.setattr(mockrun, "_without_source_positions", contextlib.nullcontext)
    settings = stack_settings("dev")
    full = render(settings, subscription_id=settings.subscription_id or SUBSCRIPTION)
    by_urn = lambda rendered: sorted(rendered.resources, key=lambda r: r.urn)  # noqa: E731
    assert by_urn(lean) == by_urn(full) and lean.outputs == full.outputs


def test_only_the_sdks_version_aliases_are_dropped() -> None:
    sdk = [pulumi.Alias(type_=f"azure-native:search/v{v}:Service") for v in ("20200313", "20240601preview")]
    renamed = pulumi.Alias(type_="azure-native:network:InterfaceEndpoint")
    own = [pulumi.Alias(name="old-search"), renamed, "urn:x"]
    args = pulumi.ResourceTransformationArgs(
        resource=None,  # type: ignore[arg-type]
        type_="azure-native:search:Service",
        name="search",
        props={},
        opts=pulumi.ResourceOptions(aliases=[*sdk, *own]),
    )
    result = mockrun._without_provider_version_aliases(args)
    assert result is not None and result.opts.aliases == own
    args.opts = pulumi.ResourceOptions(aliases=own)
    assert mockrun._without_provider_version_aliases(args) is None


def test_a_render_puts_the_sdks_stack_walk_back_afterwards() -> None:
    import pulumi.runtime.resource as sdk

    walk = sdk._get_stack_trace
    rendered_stack("prod")
    render(stack_settings("dev"), subscription_id=SUBSCRIPTION)
    assert sdk._get_stack_trace is walk


class FailingMocks(ArmMocks):
    """ARM refuses the search service and the registry (registered side by side), as a sandbox
    or Azure would on a bad request."""

    def new_resource(self, args: MockResourceArgs) -> tuple[str | None, dict[str, Any]]:
        if args.typ in ("azure-native:search:Service", "azure-native:containerregistry:Registry"):
            raise RuntimeError(f"refused: the {args.typ.rsplit(':', 1)[-1].lower()}")
        return super().new_resource(args)


def test_a_failed_render_raises_once_and_logs_no_echoes_of_it(caplog: pytest.LogCaptureFixture) -> None:
    """Every output that depended on the refused resource carries the same error; once the render
    has raised it, asyncio must not log each of them later as 'Future exception was never
    retrieved' (hundreds of tracebacks in a long-lived process such as the test run)."""
    import gc

    with pytest.raises(Exception, match=r"refused: the (service|registry)"):
        render(stack_settings("dev"), subscription_id=SUBSCRIPTION, mocks=FailingMocks(SUBSCRIPTION))
    assert render(stack_settings("dev"), subscription_id=SUBSCRIPTION).resources  # renders again after
    gc.collect()
    assert [r.getMessage() for r in caplog.records if "never retrieved" in r.getMessage()] == []
