"""A new AcrPull assignment takes effect only after propagation, and opsctl waits for it (issue 10 item 3).

MS Learn, "Troubleshoot Azure RBAC": a new role assignment can take up to 10 minutes to take effect.
The sandbox refuses an image pull until its `role_propagation_delay` (300 simulated seconds by
default, the `live` fixture keeps it) has passed since the AcrPull assignment was created, with the
revision error Azure gives (microsoft/azure-container-apps#1061). On the virtual test clock no
simulated time passes unless a client waits, so the refusal and the wait are both observable.
"""

from __future__ import annotations

from typing import Any

from azure.mgmt.appcontainers import ContainerAppsAPIClient
from azure.mgmt.authorization import AuthorizationManagementClient

from infra.catalog.roles import role_definition_id
from opsctl.pulls import PULL_DENIED

PROPAGATION = 300.0


def acr_pull(live) -> Any:
    """The environment's one AcrPull assignment (the app identity's, on the registry)."""
    role = role_definition_id(live.target.subscription_id, "AcrPull").lower()
    client = live.target.client(AuthorizationManagementClient)
    found = [
        a for a in client.role_assignments.list_for_subscription() if a.role_definition_id.lower() == role
    ]
    assert len(found) == 1, found
    return found[0]


def renew_acr_pull(live, opsctl) -> float:
    """Make the AcrPull assignment new: delete it and let `up --sandbox` restore it (nothing else
    changes, so no simulated time passes after it). Returns its creation time."""
    live.target.client(AuthorizationManagementClient).role_assignments.delete_by_id(acr_pull(live).id)
    up = opsctl("up", "--stack", "dev", "--sandbox", "--project-dir", str(live.project))
    assert up.code == 0, up.err
    granted = acr_pull(live).created_on.timestamp()
    assert live.sandbox.state.clock.now() - granted < PROPAGATION, "the AcrPull assignment must be new"
    return granted


def test_set_image_waits_until_acr_pull_has_propagated_and_says_so(live, opsctl) -> None:
    assert live.sandbox.state.config.role_propagation_delay == PROPAGATION
    granted = renew_acr_pull(live, opsctl)
    env = live.env()
    image = f"{env.names.registry}.azurecr.io/rag-app:1.2.3"
    result = opsctl(
        "app", "set-image", "--stack", "dev", "--image", image, "--project-dir", str(live.project)
    )
    assert result.code == 0, result.err
    assert "cannot pull the image yet" in result.err and "AcrPull" in result.err
    client = live.target.client(ContainerAppsAPIClient)
    revisions = {
        r.name: r
        for r in client.container_apps_revisions.list_revisions(env.resource_group, env.names.container_app)
    }
    refused = [r for r in revisions.values() if PULL_DENIED in str(r.provisioning_error or "")]
    assert refused, "the first pull must be refused while AcrPull propagates"
    app = client.container_apps.get(env.resource_group, env.names.container_app)
    running = revisions[app.latest_revision_name]
    assert (running.provisioning_state, running.running_state) == ("Provisioned", "Running")
    assert running.template.containers[0].image == image
    # the pull (when the revision provisions) succeeded only once the assignment was PROPAGATION
    # simulated seconds old: the CLI waited that long on the virtual clock
    assert running.last_active_time.timestamp() - granted >= PROPAGATION
    assert all(r.created_time.timestamp() - granted < PROPAGATION for r in refused)


def test_first_up_of_a_stack_pinning_a_registry_image_waits_for_acr_pull(live, opsctl, monkeypatch) -> None:
    """How much simulated time passes between the AcrPull grant and the app's first revision depends
    on how the concurrent registrations' LRO waits interleave (each advances the shared clock), so
    the propagation delay here is longer than any such gap and within `up`'s pull wait."""
    from infra.stackfile import StackFile
    from opsctl.pulls import PULL_WAIT_SECONDS

    slow = PULL_WAIT_SECONDS * 0.75
    monkeypatch.setattr(live.sandbox.state.config, "role_propagation_delay", slow)

    created = opsctl("stack", "new", "pr-7", "--from", "dev", "--project-dir", str(live.project))
    assert created.code == 0, created.err
    image = f"{live.env('pr-7').names.registry}.azurecr.io/rag-app:1"
    stack_file = StackFile.load(live.project / "Pulumi.pr-7.yaml")
    stack_file.set("ragstack:app", ("image",), image)
    stack_file.save()
    up = opsctl("up", "--stack", "pr-7", "--sandbox", "--project-dir", str(live.project))
    assert up.code == 0, up.err
    assert "cannot pull the image yet" in up.err and "AcrPull" in up.err
    env = live.env("pr-7")
    app = live.target.client(ContainerAppsAPIClient).container_apps.get(
        env.resource_group, env.names.container_app
    )
    assert app.provisioning_state == "Succeeded" and app.template.containers[0].image == image
