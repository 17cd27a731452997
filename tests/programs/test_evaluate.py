"""The in-process evaluator itself: faithful config, placeholders, isolation and clear errors."""

from __future__ import annotations

import asyncio
import json
import re
import textwrap
from pathlib import Path

import pytest
from pulumi.runtime import settings as runtime_settings

from orchestration.plan.evaluate import ProgramError, evaluate_program
from orchestration.plan.placeholders import PLACEHOLDER_ACCOUNT_ID
from orchestration.plan.program_config import StackConfigError, stack_config
from shared import topology
from shared.export_values import KMS_KEY_ARN_EXPORTS
from shared.paths import PROJECTS_DIR
from shared.settings import EnvironmentSettings
from tests.programs.programs_support import contract_upstream
from tests.topology_roles import LEAF, MIDDLE, ROOT

AWS_BUCKET_PROGRAM = """
import pulumi
import pulumi_aws as aws

{body}
"""


def make_project(root: Path, name: str, body: str, *, config: dict[str, object]) -> Path:
    """A throwaway project under `root`, to exercise the evaluator's own behaviour."""
    project = root / name
    project.mkdir()
    (project / "Pulumi.yaml").write_text(
        json.dumps({"name": name, "runtime": "python", "config": config})
    )
    (project / "Pulumi.development.yaml").write_text(json.dumps({"config": {}}))
    (project / "__main__.py").write_text(AWS_BUCKET_PROGRAM.format(body=textwrap.dedent(body)))
    return root


def test_stack_config_is_what_the_engine_passes_to_a_python_program() -> None:
    config = stack_config(topology.COMPUTE, "production")
    assert config["pulumi:disable-default-providers"] == '["aws"]'
    assert config["compute:instanceCount"] == "2"
    assert json.loads(config["compute:allowedCidrs"]) == ["0.0.0.0/0"]
    assert all(isinstance(value, str) for value in config.values())


def test_secrets_in_stack_config_are_refused(tmp_path: Path) -> None:
    root = make_project(tmp_path, "demo", "", config={})
    (root / "demo" / "Pulumi.development.yaml").write_text(
        json.dumps({"config": {"demo:token": {"secure": "v1:abc"}}})
    )
    with pytest.raises(StackConfigError, match=r"demo:token is a secret"):
        stack_config("demo", "development", projects_dir=root)
    # The knob check before a deploy never needs a secret: it reads around them.
    assert "demo:token" not in stack_config(
        "demo", "development", projects_dir=root, skip_secrets=True
    )


def test_evaluations_are_deterministic_and_independent() -> None:
    upstream = contract_upstream(LEAF, "production")
    first = evaluate_program(LEAF, "production", upstream=upstream)
    evaluate_program(ROOT, "development")
    second = evaluate_program(LEAF, "production", upstream=upstream)
    assert first == second
    assert first.resources == second.resources


def test_evaluation_leaves_the_callers_pulumi_runtime_alone() -> None:
    before = runtime_settings.get_root_resource()
    evaluate_program(ROOT, "development")
    assert runtime_settings.get_root_resource() is before


def test_an_evaluation_closes_every_event_loop_it_creates(monkeypatch: pytest.MonkeyPatch) -> None:
    # An unclosed loop is finalized by the garbage collector at a random later moment, where
    # its __del__ fails ("Exception ignored in BaseEventLoop.__del__": an unraisable error).
    created: list[asyncio.AbstractEventLoop] = []
    new_event_loop = asyncio.DefaultEventLoopPolicy.new_event_loop

    def tracking(policy: asyncio.AbstractEventLoopPolicy) -> asyncio.AbstractEventLoop:
        loop = new_event_loop(policy)  # type: ignore[arg-type]
        created.append(loop)
        return loop

    monkeypatch.setattr(asyncio.DefaultEventLoopPolicy, "new_event_loop", tracking)
    evaluate_program(ROOT, "development")
    assert len(created) > 1, "the evaluation and the mock monitor's threads have loops"
    assert [loop for loop in created if not loop.is_closed()] == []


def test_evaluation_writes_nothing_into_the_project(tmp_path: Path) -> None:
    before = sorted(p.name for p in (PROJECTS_DIR / ROOT).iterdir())
    evaluate_program(ROOT, "production")
    assert sorted(p.name for p in (PROJECTS_DIR / ROOT).iterdir()) == before


def test_placeholders_are_recognisable_and_shaped_like_aws() -> None:
    result = evaluate_program(topology.SECURITY, "production")
    arn = result.outputs[topology.KMS_KEY_ARN]
    assert arn.startswith(f"arn:aws:kms:us-west-2:{PLACEHOLDER_ACCOUNT_ID}:key/0000")
    assert PLACEHOLDER_ACCOUNT_ID not in {"000000000000", "123456789012"}


def test_missing_upstream_outputs_name_the_project_environment_and_producer() -> None:
    with pytest.raises(ProgramError) as raised:
        evaluate_program(LEAF, "development", upstream={})
    message = str(raised.value)
    assert f"project {LEAF!r}, environment 'development'" in message
    assert "no outputs were supplied for project" in message
    assert raised.value.project == LEAF


def test_an_output_missing_upstream_fails_like_require_output() -> None:
    upstream = contract_upstream(MIDDLE, "development")
    upstream[ROOT] = {}
    with pytest.raises(ProgramError, match=topology.TOPOLOGY.project(MIDDLE).requires[ROOT][0]):
        evaluate_program(MIDDLE, "development", upstream=upstream)


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("", "is empty"),
        # The account the mocked provider deploys into is PLACEHOLDER_ACCOUNT_ID.
        ("arn:aws:kms:us-west-2:999988887777:key/k-1", "belongs to account 999988887777"),
    ],
)
def test_a_consumer_refuses_an_upstream_key_arn_the_contract_refuses(
    value: str, problem: str
) -> None:
    consumer, producer, key = next(
        (name, producer, key)
        for name in topology.TOPOLOGY.names
        for producer, keys in topology.TOPOLOGY.project(name).requires.items()
        for key in keys
        if key in KMS_KEY_ARN_EXPORTS
    )
    upstream = contract_upstream(consumer, "development")
    upstream[producer][key] = value

    with pytest.raises(ProgramError) as raised:
        evaluate_program(consumer, "development", upstream=upstream)

    message = str(raised.value)
    assert f"{producer}'s {key}={value!r} {problem}" in message
    assert f"deploy {producer} again" in message


def test_a_bad_knob_fails_the_evaluation_with_the_config_message(tmp_path: Path) -> None:
    root = tmp_path / "projects"
    root.mkdir()
    project = root / topology.SECURITY
    project.mkdir()
    for name in ("Pulumi.yaml", "__main__.py"):
        (project / name).write_text((PROJECTS_DIR / topology.SECURITY / name).read_text())
    (project / "Pulumi.production.yaml").write_text(
        json.dumps({"config": {"security:keyDeletionWindowDays": 7}})
    )
    with pytest.raises(ProgramError, match=r"ProjectConfigError.*need 30"):
        evaluate_program(topology.SECURITY, "production", projects_dir=root)


PINNED = {"pulumi:disable-default-providers": ["aws"]}
EXPLICIT_PROVIDER = """
provider = aws.Provider("p", region="us-west-2")
pinned = pulumi.InvokeOptions(provider=provider)
"""


@pytest.mark.parametrize(
    ("body", "config", "upstream", "reason"),
    [
        pytest.param(
            'aws.s3.Bucket("forgot-the-provider")',
            PINNED,
            {},
            r"Default provider for 'aws' disabled",
            id="resource-without-the-explicit-provider",
        ),
        pytest.param(
            "aws.get_caller_identity()",
            PINNED,
            {},
            r"getCallerIdentity.*explicit provider",
            id="invoke-without-the-explicit-provider",
        ),
        pytest.param(
            EXPLICIT_PROVIDER + "aws.ec2.get_vpc(default=True, opts=pinned)",
            {},
            {},
            r"no answer for 'aws:ec2/getVpc:getVpc'.*placeholders.py",
            id="unknown-invoke-says-where-to-add-it",
        ),
        pytest.param(
            f'pulumi.StackReference("organization/{ROOT}/production")',
            {},
            {ROOT: {"x": "y"}},
            r"crosses environments",
            id="reference-to-another-environment",
        ),
    ],
)
def test_what_the_engine_would_refuse_fails_the_evaluation_with_the_reason(
    tmp_path: Path,
    body: str,
    config: dict[str, object],
    upstream: dict[str, dict[str, str]],
    reason: str,
) -> None:
    root = make_project(tmp_path, "demo", body, config=config)
    with pytest.raises(ProgramError, match=reason):
        evaluate_program("demo", "development", upstream=upstream, projects_dir=root)


def test_exports_are_resolved_values(tmp_path: Path) -> None:
    root = make_project(
        tmp_path,
        "demo",
        """
        provider = aws.Provider("p", region="eu-central-1")
        pinned = pulumi.ResourceOptions(provider=provider)
        bucket = aws.s3.Bucket("b", bucket="demo-bucket", opts=pinned)
        pulumi.export("arn", bucket.arn)
        domain = bucket.bucket_regional_domain_name
        pulumi.export("nested", {"name": bucket.bucket, "list": [domain]})
        """,
        config={},
    )
    result = evaluate_program("demo", "development", projects_dir=root)
    assert result.outputs == {
        "arn": "arn:aws:s3:::demo-bucket",
        "nested": {
            "name": "demo-bucket",
            "list": ["demo-bucket.s3.eu-central-1.amazonaws.com"],
        },
    }
    bucket = result.named("b")
    assert bucket.provider == result.named("p").urn
    assert bucket.outputs["region"] == "eu-central-1"


def test_settings_for_another_environment_are_refused(production: EnvironmentSettings) -> None:
    with pytest.raises(ValueError, match=r"not 'development'"):
        evaluate_program(ROOT, "development", settings=production)


def test_an_unknown_project_is_a_clear_error() -> None:
    with pytest.raises(StackConfigError, match=r"project 'nope' has no program"):
        evaluate_program("nope", "development")


def test_a_type_without_placeholders_fails_in_one_line_naming_the_table(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    root = make_project(
        tmp_path,
        "demo",
        """
        provider = aws.Provider("p", region="us-west-2")
        pinned = pulumi.ResourceOptions(provider=provider)
        queues = [aws.sqs.Queue(f"q{i}", opts=pinned) for i in range(3)]
        pulumi.export("urls", [queue.url for queue in queues])
        """,
        config={},
    )

    with pytest.raises(ProgramError) as raised:
        evaluate_program("demo", "development", projects_dir=root)

    assert re.search(r"no placeholders for aws:sqs/queue:Queue \(q\d\)", str(raised.value))
    assert "KINDS in orchestration/plan/placeholders.py" in str(raised.value)
    # Each output of the failed registrations is a future nobody awaits: none is reported.
    assert "never retrieved" not in "".join(capfd.readouterr())
