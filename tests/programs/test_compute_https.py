"""Production's HTTPS: a configured certificate gives HTTPS and a redirect; none, an advisory."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from orchestration.plan.evaluate import ProgramResult, evaluate_program
from orchestration.plan.programs import to_rule_input
from program.policy import StackView, evaluate
from projects.compute.config import read_config as compute_config
from shared import aws_types as t
from shared import topology
from shared.config_reading import ProjectConfigError
from shared.paths import PROJECTS_DIR
from shared.settings import EnvironmentSettings
from tests.programs.programs_support import contract_upstream, only

LISTENER = t.LISTENER
BALANCER = t.LOAD_BALANCER
TARGET_GROUP = t.TARGET_GROUP
SG = t.SECURITY_GROUP
INGRESS = t.SECURITY_GROUP_INGRESS_RULE
CERTIFICATE = "arn:aws:acm:us-west-2:111122223333:certificate/12345678-1234-1234-1234-123456789012"
KNOBS = {"allowedCidrs": '["0.0.0.0/0"]', "instanceCount": "2", "image": "latest"}


def production_with(tmp_path: Path, extra: str) -> ProgramResult:
    """The compute program for production, its stack file extended by `extra` lines."""
    projects = tmp_path / "projects"
    shutil.copytree(PROJECTS_DIR / topology.COMPUTE, projects / topology.COMPUTE)
    stack_file = projects / topology.COMPUTE / "Pulumi.production.yaml"
    stack_file.write_text(stack_file.read_text() + extra)
    return evaluate_program(
        topology.COMPUTE,
        "production",
        upstream=contract_upstream(topology.COMPUTE, "production"),
        projects_dir=projects,
    )


def findings(result: ProgramResult, settings: EnvironmentSettings) -> set[str]:
    view = StackView(settings, [to_rule_input(r) for r in result.resources])
    return {violation.rule for violation in evaluate(view)}


def test_a_certificate_gives_https_with_a_current_policy_and_http_only_redirects(
    tmp_path: Path, production: EnvironmentSettings
) -> None:
    result = production_with(
        tmp_path,
        f"  compute:certificateArn: {CERTIFICATE}\n  compute:domainName: www.example.com\n",
    )
    listeners = {listener.inputs["protocol"]: listener for listener in result.of_type(LISTENER)}
    https, http = listeners["HTTPS"], listeners["HTTP"]
    assert (https.inputs["port"], https.inputs["certificateArn"]) == (443, CERTIFICATE)
    assert https.inputs["sslPolicy"] == "ELBSecurityPolicy-TLS13-1-2-Res-PQ-2025-09"
    assert https.inputs["defaultActions"] == [
        {"type": "forward", "targetGroupArn": only(result, TARGET_GROUP).id}
    ]
    assert http.inputs["port"] == 80
    assert http.inputs["defaultActions"] == [
        {
            "type": "redirect",
            "redirect": {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"},
        }
    ]
    assert result.outputs[topology.APP_URL] == "https://www.example.com"
    # The balancer's group admits both ports from the allowed ranges (HTTP to redirect).
    [lb_group] = [g for g in result.of_type(SG) if g.inputs["namePrefix"].endswith("-lb-")]
    ports = {
        rule.inputs["fromPort"]
        for rule in result.of_type(INGRESS)
        if rule.inputs["securityGroupId"] == lb_group.id
    }
    assert ports == {80, 443}
    assert findings(result, production) == set()


def test_without_a_certificate_production_serves_http_with_an_advisory_finding(
    tmp_path: Path, production: EnvironmentSettings
) -> None:
    result = production_with(tmp_path, "")
    [listener] = result.of_type(LISTENER)
    assert (listener.inputs["port"], listener.inputs["protocol"]) == (80, "HTTP")
    balancer = only(result, BALANCER)
    assert result.outputs[topology.APP_URL] == f"http://{balancer.outputs['dnsName']}"
    view = StackView(production, [to_rule_input(r) for r in result.resources])
    [finding] = evaluate(view)
    assert (finding.rule, finding.enforcement) == ("elb-https-only", "advisory")
    assert "set compute:certificateArn (an ACM certificate of us-west-2) in " in finding.message
    assert "projects/compute/Pulumi.production.yaml" in finding.message


@pytest.mark.parametrize(
    ("knobs", "problem"),
    [
        (
            {"certificateArn": "arn:aws:acm:us-west-2:111122223333:cert/x"},
            "compute:certificateArn 'arn:aws:acm:us-west-2:111122223333:cert/x' is not an ACM "
            "certificate ARN",
        ),
        (
            {"certificateArn": CERTIFICATE.replace("us-west-2", "eu-west-1")},
            "compute:certificateArn is a certificate of eu-west-1, but the load balancer is in "
            "us-west-2",
        ),
        ({"domainName": "www.example.com"}, "compute:domainName needs compute:certificateArn"),
        (
            {"certificateArn": CERTIFICATE, "domainName": "Not A Name"},
            "compute:domainName 'Not A Name' is not a DNS name",
        ),
    ],
)
def test_bad_https_settings_are_one_line_errors(
    production: EnvironmentSettings, knobs: dict[str, str], problem: str
) -> None:
    with pytest.raises(ProjectConfigError) as refused:
        compute_config(production, {**KNOBS, **knobs}.get)
    message = str(refused.value)
    assert message.startswith("stack 'production': ")
    assert problem in message
    assert "\n" not in message


def test_development_has_no_load_balancer_to_take_a_certificate(
    development: EnvironmentSettings,
) -> None:
    knobs = {"allowedCidrs": '["0.0.0.0/0"]', "certificateArn": CERTIFICATE}
    with pytest.raises(ProjectConfigError, match=r"development has no load balancer"):
        compute_config(development, knobs.get)
