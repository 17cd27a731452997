"""Routine production operations on the real engine, against a stand-in as strict as AWS.

Issue 10: the first deploy (the load balancer waits for the internet gateway; issue 13: the
private servers find S3 and Systems Manager through the VPC endpoints), a log level
change (the Auto Scaling group rolls its instances and none is left behind), a security group
description change (name prefixes: the replacement does not collide), the log delivery of the
first deploy (the log target is SSE-S3; issue 13: the load balancer's access logs and the
flow logs too), a full cascade destroy after unprotecting (no
termination protection to strand an instance), and HTTPS with a configured certificate. Each
test deploys production from a copy of the repository (engine_support.copy_repo), so it can
change a setting or a component without touching the committed files. The first four and the
destroy failed on the code as it was before issue 10's fixes, each on the stand-in's refusal
that shows its defect.

Only the first-deploy test keeps the stand-in's slow internet gateway attachment; the others
let the gateway attach at once, so each is about its own change rather than that race.
"""

from __future__ import annotations

import base64
import os
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from shared import aws_types as t
from shared.limits import TLS_POLICY
from tests.engine.engine_support import (
    EngineEnv,
    RepoCopy,
    TaskRun,
    copy_repo,
    engine_paths,
    run_task,
)
from tests.engine.standin_aws.autoscaling import registered_targets
from tests.engine.standin_aws.cloud import CloudResource

pytestmark = pytest.mark.engine

ENV = "production"
INSTANCE = t.INSTANCE
SECURITY_GROUP = t.SECURITY_GROUP
LOAD_BALANCERS = (t.LOAD_BALANCER, t.ALB_LOAD_BALANCER)
BUCKET_LOGGING = t.BUCKET_LOGGING
FLOW_LOG = t.FLOW_LOG
TARGET_GROUPS = (t.TARGET_GROUP, t.ALB_TARGET_GROUP)
LISTENERS = (t.LISTENER, t.ALB_LISTENER)
# The web servers' security group description, as program/components/web_service.py has it.
WEB_GROUP_DESCRIPTION = "Web servers: the web port only (no SSH/RDP; SSM Session Manager instead)"


@dataclass(frozen=True)
class Production:
    env: EngineEnv
    repo: RepoCopy
    paths: Any

    def deploy(self, project: str | None = None) -> TaskRun:
        return run_task(
            self.env, self.paths, ENV, lambda o: o.deploy(project, yes=True), project=project
        )

    def deploy_with_gateway_ready(self) -> None:
        """A first deploy with the gateway attaching at once: not the race, which has its own
        test, but the starting point of a test about a later change."""
        self.env.cloud.set_gateway_attach_seconds(0)
        deployed = self.deploy()
        assert deployed.code == 0, deployed.text

    def destroy_all(self) -> TaskRun:
        return run_task(
            self.env,
            self.paths,
            ENV,
            lambda o: o.destroy("security", cascade=True, confirm=ENV),
            project="security",
        )

    def resources(self, *types: str) -> list[CloudResource]:
        return [resource for type_ in types for resource in self.env.cloud.resources(type_)]


@pytest.fixture
def production(
    engine_env: EngineEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Production:
    engine_env.apply(monkeypatch)
    repo = copy_repo(tmp_path)
    repo.apply(monkeypatch)
    return Production(
        engine_env, repo, engine_paths(engine_env, tmp_path / "state", repo.projects_dir)
    )


def user_data(instance: CloudResource) -> str:
    """What the instance booted with: plain user data, or a launch template's base64."""
    encoded = instance.output("userDataBase64")
    if encoded:
        return base64.b64decode(encoded).decode()
    return str(instance.output("userData"))


def served_instances(production: Production) -> set[str]:
    snapshot = production.env.cloud.snapshot()
    return {
        target
        for group in production.resources(*TARGET_GROUPS)
        for target in registered_targets(snapshot, group.id)
    }


def test_a_first_production_deploy_succeeds(production: Production) -> None:
    # Longer than the default, so a balancer that does not wait for the gateway asks in time
    # to be refused even on a loaded machine; one that waits only takes longer.
    production.env.cloud.set_gateway_attach_seconds(10)
    deployed = production.deploy()
    assert deployed.code == 0, deployed.text
    [balancer] = production.resources(*LOAD_BALANCERS)
    assert balancer.output("internal") is not True
    instances = production.resources(INSTANCE)
    assert len(instances) >= 2
    offline = [
        i.name for i in instances if i.output("publicIp") and not i.facts["internetAtLaunch"]
    ]
    assert not offline, (
        f"public instances launched before the VPC had an internet gateway: {offline}"
    )
    assert served_instances(production) == {instance.id for instance in instances}
    # Issue 13: the servers are private, and found S3 and Systems Manager at their first boot
    # through the VPC endpoints (the stand-in records what each could reach when it launched).
    assert [i.name for i in instances if i.output("publicIp")] == []
    assert production.env.cloud.unreachable_instances() == []
    for instance in instances:
        assert instance.facts["reaches"] == {"s3": True, "ssm": True}
        assert "gateway endpoint" in instance.facts["via"]["s3"]
        assert "interface endpoint" in instance.facts["via"]["ssm"]


def test_production_access_and_flow_logs_are_delivered(production: Production) -> None:
    production.deploy_with_gateway_ready()
    deliveries = production.env.cloud.log_deliveries()
    kinds = {
        resource.type
        for resource in production.resources(*LOAD_BALANCERS, BUCKET_LOGGING, FLOW_LOG)
        if "delivery" in resource.facts
    }
    # S3 server access logs, the load balancer's access logs and the VPC's flow logs.
    assert kinds == {LOAD_BALANCERS[0], BUCKET_LOGGING, FLOW_LOG}
    assert [d for d in deliveries if not d["delivering"]] == []


def test_a_log_level_change_rolls_the_web_tier_and_leaves_no_stray_instance(
    production: Production,
) -> None:
    production.deploy_with_gateway_ready()
    before = production.resources(INSTANCE)
    assert before
    assert all("LOG_LEVEL=WARNING" in user_data(instance) for instance in before)

    production.repo.edit(
        "shared/environments/production.yaml", "log_level: warning", "log_level: info"
    )
    rolled = production.deploy()
    assert rolled.code == 0, rolled.text
    after = production.resources(INSTANCE)
    assert len(after) == len(before)
    assert {i.id for i in before}.isdisjoint(i.id for i in after), "some instances were not rolled"
    assert all("LOG_LEVEL=INFO" in user_data(instance) for instance in after)
    assert served_instances(production) == {instance.id for instance in after}


def test_a_security_group_description_change_replaces_the_group_cleanly(
    production: Production,
) -> None:
    production.deploy_with_gateway_ready()
    [old] = [
        group
        for group in production.resources(SECURITY_GROUP)
        if group.output("description") == WEB_GROUP_DESCRIPTION
    ]

    changed = f"{WEB_GROUP_DESCRIPTION} (reviewed)"
    production.repo.edit("program/components/web_service.py", WEB_GROUP_DESCRIPTION, changed)
    replaced = production.deploy()
    assert replaced.code == 0, replaced.text
    descriptions = [group.output("description") for group in production.resources(SECURITY_GROUP)]
    assert WEB_GROUP_DESCRIPTION not in descriptions
    [new] = [
        group
        for group in production.resources(SECURITY_GROUP)
        if group.output("description") == changed
    ]
    assert new.id != old.id
    for instance in production.resources(INSTANCE):
        groups = instance.output("vpcSecurityGroupIds")
        assert new.id in groups
        assert old.id not in groups


def test_a_configured_certificate_serves_https_and_http_only_redirects(
    production: Production,
) -> None:
    certificate = production.env.cloud.add_certificate("www.example.com", "us-west-2")
    production.repo.edit(
        "projects/compute/Pulumi.production.yaml",
        "  compute:vpcCidr: 10.20.0.0/16\n",
        f"  compute:vpcCidr: 10.20.0.0/16\n  compute:certificateArn: {certificate}\n"
        "  compute:domainName: www.example.com\n",
    )
    production.deploy_with_gateway_ready()
    listeners = {
        listener.output("protocol"): listener for listener in production.resources(*LISTENERS)
    }
    assert set(listeners) == {"HTTP", "HTTPS"}
    https = listeners["HTTPS"]
    assert (https.output("port"), https.output("certificateArn")) == (443, certificate)
    assert https.output("sslPolicy") == TLS_POLICY
    [redirect] = listeners["HTTP"].output("defaultActions")
    assert redirect["type"] == "redirect"
    assert redirect["redirect"]["protocol"] == "HTTPS"


def unprotect(production: Production, refusal: str) -> None:
    """Run the `state unprotect` commands the refusal tells the user to run, as a user would."""
    commands = [line.strip() for line in refusal.splitlines() if "state unprotect" in line]
    assert commands, refusal
    for command in commands:
        result = subprocess.run(
            ["sh", "-c", command],
            env={**production.env.env, "PYTHONPATH": str(production.repo.root)},
            cwd=os.getcwd(),
            capture_output=True,
            text=True,
            check=False,
            timeout=300,
        )
        assert result.returncode == 0, f"{shlex.quote(command)}:\n{result.stdout}\n{result.stderr}"


def test_a_cascade_destroy_of_production_completes_after_unprotecting(
    production: Production,
) -> None:
    production.deploy_with_gateway_ready()
    blocked = production.destroy_all()
    assert blocked.refusal is not None
    assert "protected resources cannot be deleted" in blocked.refusal
    unprotect(production, blocked.refusal)

    destroyed = production.destroy_all()
    assert destroyed.code == 0, destroyed.text
    assert production.env.cloud.resources() == []
