"""The plan for reviewers: Markdown, the environment diagram (Mermaid, DOT), annotations."""

from __future__ import annotations

import io
import itertools
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi_aws as aws
import pytest
from invoke.context import Context
from invoke.exceptions import Exit

import tasks
from orchestration.plan import diagram, pictures
from orchestration.plan.cli import PlanError, run_graph, run_plan
from orchestration.plan.environment import EnvironmentPlan, StackPlan
from orchestration.plan.markdown import github_annotations, markdown
from orchestration.plan.report import count_resources
from program.policy import Enforcement, Resource, Violation
from shared import aws_types as t
from shared.topology import TOPOLOGY

REPO_ROOT = Path(__file__).resolve().parents[2]
# Words Mermaid's flowchart grammar reserves; a node or subgraph id must not be one.
MERMAID_KEYWORDS = {"end", "subgraph", "graph", "flowchart", "direction", "style", "class"}
NODE = re.compile(r'^    (\w+)(\["[^"]*"\]|\(\["[^"]*"\]\))$')
SUBGRAPH = re.compile(r'^  subgraph (\w+)\["([^"]*)"\]$')
USE = re.compile(r"^  (\w+) --> (\w+)$")
REFERENCE = re.compile(r'^  (\w+) ==>\|"([^"|]*)"\| (\w+)$')


def parse_mermaid(text: str) -> dict[str, Any]:
    """A strict reading of the subset of Mermaid flowchart syntax the diagram uses.

    Every line must be one of the known forms; subgraphs must close; ids must be declared
    before an edge uses them and must not be keywords.
    """
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    subgraphs: dict[str, str] = {}
    nodes: dict[str, str] = {}
    members: dict[str, list[str]] = {}
    uses, references = [], []
    current = None
    for line in lines[1:]:
        if match := SUBGRAPH.match(line):
            assert current is None, "nested subgraph"
            current = match.group(1)
            subgraphs[current] = match.group(2)
            members[current] = []
        elif line == "    direction TB":
            assert current is not None
        elif match := NODE.match(line):
            assert current is not None, "node outside a subgraph"
            assert match.group(1) not in nodes, f"node {match.group(1)} declared twice"
            nodes[match.group(1)] = match.group(2)
            members[current].append(match.group(1))
        elif line == "  end":
            assert current is not None
            current = None
        elif match := USE.match(line):
            assert {match.group(1), match.group(2)} <= set(nodes)
            uses.append((match.group(1), match.group(2)))
        elif match := REFERENCE.match(line):
            assert {match.group(1), match.group(3)} <= set(subgraphs)
            references.append((match.group(1), match.group(3), match.group(2)))
        else:
            raise AssertionError(f"not a line the diagram may contain: {line!r}")
    assert current is None, "subgraph not closed"
    for identifier in [*subgraphs, *nodes]:
        assert identifier.lower() not in MERMAID_KEYWORDS
    return {
        "subgraphs": subgraphs,
        "nodes": nodes,
        "members": members,
        "uses": uses,
        "references": references,
    }


@pytest.mark.parametrize("environment", ["development", "production"])
def test_the_mermaid_diagram_is_well_formed_and_complete(
    environment: str, request: pytest.FixtureRequest
) -> None:
    plan: EnvironmentPlan = request.getfixturevalue(f"{environment}_plan")

    parsed = parse_mermaid(diagram.mermaid(diagram.build(plan)))

    assert list(parsed["subgraphs"]) == [f"stack_{name}" for name in TOPOLOGY.deploy_order()]
    expected_references = {
        (f"stack_{producer}", f"stack_{consumer}", ", ".join(outputs))
        for consumer in TOPOLOGY.names
        for producer, outputs in TOPOLOGY.project(consumer).requires.items()
    }
    assert set(parsed["references"]) == expected_references
    for stack in plan.stacks:
        labels = " ".join(
            parsed["nodes"][node] for node in parsed["members"][f"stack_{stack.project}"]
        )
        key = [r for r in stack.resources if r.type in diagram.KEY_TYPES]
        assert all(resource.name in labels for resource in key)
        aws = sum(1 for r in stack.resources if r.type.startswith("aws:"))
        if aws > len(key):  # a project invoke new-project just added may have no others yet
            assert f"+{aws - len(key)} more AWS resources" in labels


def test_the_diagram_shows_which_key_resource_uses_which(production_plan: EnvironmentPlan) -> None:
    built = diagram.build(production_plan)
    names = {node.id: (node.kind, node.name) for box in built.stacks for node in box.nodes}
    uses = {(names[user], names[used]) for user, used in built.uses}

    template = ("launch template", "webapp-production-web")
    assert (("Auto Scaling group", "webapp-production-web"), template) in uses
    assert (template, ("security group", "webapp-production-web")) in uses
    # Through the instance profile, which is not drawn.
    assert (template, ("IAM role", "webapp-production-web")) in uses
    # The load balancer reaches the VPC through its security group only: no shortcut edge.
    load_balancer = ("load balancer", "webapp-production-web-lb")
    assert (load_balancer, ("security group", "webapp-production-web-lb")) in uses
    assert (load_balancer, ("VPC", "webapp-production-network")) not in uses
    protected = {node.name for box in built.stacks for node in box.nodes if node.protected}
    assert protected == {
        "webapp-production-key",
        "webapp-production-data",
        "webapp-production-logs",
    }


def test_the_dot_diagram_has_a_cluster_per_stack_and_declared_edges(
    development_plan: EnvironmentPlan,
) -> None:
    text = diagram.dot(diagram.build(development_plan))

    assert text.startswith('digraph "development" {')
    assert text.endswith("}")
    assert text.count("{") == text.count("}")
    declared = set(re.findall(r"^    (\w+) \[", text, flags=re.MULTILINE))
    for source, target in re.findall(r"^  (\w+) -> (\w+)", text, flags=re.MULTILINE):
        assert {source, target} <= declared
    clusters = re.findall(r"subgraph cluster_stack_(\w+) \{", text)
    assert clusters == list(TOPOLOGY.deploy_order())
    assert 'label="kms_key_arn"' in text


def test_the_markdown_plan_shows_what_a_reviewer_needs(production_plan: EnvironmentPlan) -> None:
    text = markdown(production_plan)

    assert text.startswith("## Plan of `production`\n")
    # The shipped production config has no certificate: plain HTTP is the one advisory finding.
    assert "⚠️ **1 advisory finding**; nothing blocks the plan." in text
    # Once, in the table at the top: the stack's section points to it.
    assert text.count("| ⚠️ advisory | `elb-https-only`") == 1
    assert "Rule findings: 1 advisory finding (in the table above)." in text
    assert "violation" not in text
    # One count everywhere: AWS resources, Pulumi's own apart.
    assert count_resources(production_plan.stacks).describe() in text
    # Short type tokens, the component tree, no made-up ids.
    assert "`aws:s3:BucketServerSideEncryptionConfiguration`" in text
    assert "aws:s3/bucket" not in text
    assert "| &nbsp;&nbsp;&nbsp;&nbsp;└ `…-http` | `aws:lb:Listener` |" in text
    assert "vpc-0000" not in text
    assert "111122223333" not in text
    assert "elb-https-only" in text
    blocks = re.findall(r"```mermaid\n(.*?)\n```", text, flags=re.DOTALL)
    assert blocks == [picture.mermaid for picture in pictures.pictures(production_plan)]
    headings = re.findall(r"^### `(organization/\w+/production)`$", text, flags=re.MULTILINE)
    assert headings == [f"organization/{name}/production" for name in TOPOLOGY.deploy_order()]
    assert "- **Reads** (StackReference) from `security`: `kms_key_arn`" in text
    assert (
        "- **Reads** (StackReference) from `security`: `kms_key_arn`; "
        "from `storage`: `bucket_name`, `bucket_arn`"
    ) in text
    readers = ", ".join(f"`{name}`" for name in TOPOLOGY.consumers(TOPOLOGY.names[0]))
    assert f"- **Exports** `kms_key_arn`, `kms_key_id`, `kms_alias_name`, read by {readers}" in text
    assert (
        "| &nbsp;&nbsp;└ ″ 🔒 protected | `aws:kms:Key` | "
        "enableKeyRotation: `true`<br>deletionWindowInDays: `30`"
    ) in text


PICTURE_NODE = re.compile(r'^ +(\w+)(\["[^"]*"\]|\(\("[^"]*"\)\))(:::\w+)?$')
PICTURE_SUBGRAPH = re.compile(r'^ +subgraph (\w+)\["[^"]*"\]$')
PICTURE_EDGE = re.compile(r'^  (\w+) (==>|-->|-\.->)(\|"[^"|]*"\|)? (\w+)$')
CLASS_DEF = re.compile(r"^  classDef (\w+) [\w#:,.\- ]+$")


def parse_picture(text: str) -> dict[str, Any]:
    """A strict reading of the Mermaid subset the pictures use: nested subgraphs, boxes and
    circles with an optional class, three arrow kinds with optional labels, classDef lines.
    Edges may name a node or subgraph declared anywhere; ids must not be keywords."""
    lines = text.splitlines()
    assert lines[0] in ("flowchart LR", "flowchart TB")
    ids: set[str] = set()
    edges: list[tuple[str, str, str]] = []
    classes: set[str] = set()
    used_classes: set[str] = set()
    depth = 0
    for line in lines[1:]:
        if match := PICTURE_SUBGRAPH.match(line):
            depth += 1
            ids.add(match.group(1))
        elif line.strip() == "end":
            assert depth > 0
            depth -= 1
        elif match := PICTURE_NODE.match(line):
            assert match.group(1) not in ids, f"{match.group(1)} declared twice"
            ids.add(match.group(1))
            if match.group(3):
                used_classes.add(match.group(3)[3:])
        elif match := PICTURE_EDGE.match(line):
            edges.append((match.group(1), match.group(2), match.group(4)))
        elif match := CLASS_DEF.match(line):
            classes.add(match.group(1))
        else:
            raise AssertionError(f"not a line a picture may contain: {line!r}")
    assert depth == 0, "subgraph not closed"
    for source, _, target in edges:
        assert {source, target} <= ids, (source, target)
    assert used_classes <= classes
    assert not {i.lower() for i in ids} & MERMAID_KEYWORDS
    return {"ids": ids, "edges": edges}


@pytest.mark.parametrize("environment", ["development", "production"])
def test_every_picture_parses_and_has_a_legend(
    environment: str, request: pytest.FixtureRequest
) -> None:
    plan: EnvironmentPlan = request.getfixturevalue(f"{environment}_plan")

    drawn = pictures.pictures(plan)

    assert [p.name for p in drawn] == ["overview", *TOPOLOGY.deploy_order()]
    for picture in drawn:
        parse_picture(picture.mermaid)
        assert "Legend" in picture.mermaid
    assert "57 AWS resources" in drawn[0].title or environment == "development"


def test_the_compute_picture_shows_the_network_and_the_traffic_path(
    production_plan: EnvironmentPlan,
) -> None:
    compute = pictures.detail(production_plan.stacks[-1])
    parsed = parse_picture(compute.mermaid)
    text = compute.mermaid

    assert "public subnets, 2 zones: routed to the internet" in text
    assert "private subnets, 2 zones: no internet route" in text
    assert "interface: ec2messages, ssm, ssmmessages" in text
    assert "gateway: s3" in text
    assert "into log group /webapp/production/vpc-flow-logs" in text
    assert "as role webapp-production-flow-logs" in text
    traffic = [(s, t) for s, arrow, t in parsed["edges"] if arrow == "==>"]
    path = ["internet", "InternetGateway_webapp_production_network_igw"]
    path += ["LoadBalancer_webapp_production_web_lb", "Group_webapp_production_web"]
    path += ["VpcEndpoint_webapp_production_web_endpoints_ec2messages"]
    assert traffic == list(itertools.pairwise(path))


def test_the_graph_task_prints_one_view_bare(capsys: pytest.CaptureFixture[str]) -> None:
    tasks.graph(Context(), env="development", view="overview")

    text = capsys.readouterr().out
    parse_picture(text.strip())
    assert "```" not in text


def test_the_committed_pictures_are_of_the_current_code(
    production_plan: EnvironmentPlan,
) -> None:
    """docs/*.png are rendered from docs/*.mmd; when the pictures change, re-render them:
    `invoke graph --env production --pictures docs`."""
    for picture in pictures.pictures(production_plan):
        committed = REPO_ROOT / "docs" / f"production-{picture.name}.mmd"
        assert committed.read_text(encoding="utf-8") == picture.mermaid + "\n", picture.name
        assert committed.with_suffix(".png").is_file()


def _violation(rule: str, enforcement: Enforcement, name: str = "bucket") -> Violation:
    message = f"[{rule}] {name} ({t.BUCKET}): it is wrong: 50% | 1\nline. Fix: fix it"
    return Violation(
        rule, f"urn:pulumi:dev::storage::aws:s3/bucket:Bucket::{name}", message, enforcement
    )


@pytest.fixture
def judged_plan() -> EnvironmentPlan:
    """A hand-made plan with one advisory and one mandatory finding (in that order)."""
    findings = (
        _violation("s3-lifecycle", Enforcement.ADVISORY),
        _violation("s3-encryption", Enforcement.MANDATORY),
    )
    stack = StackPlan(
        project="storage",
        stack="organization/storage/development",
        resources=(Resource(t.BUCKET, "bucket", {"bucket": "b|c"}),),
        outputs={"bucket_name": "b", "bucket_arn": "arn"},
        violations=findings,
    )
    return EnvironmentPlan("development", (stack,), findings)


def test_findings_come_mandatory_first_with_a_blocking_verdict(
    judged_plan: EnvironmentPlan,
) -> None:
    text = markdown(judged_plan)

    assert "❌ **1 mandatory finding blocks this plan**, and 1 advisory finding." in text
    rows = [line for line in text.splitlines() if line.startswith("| ❌") or line.startswith("| ⚠️")]
    assert [row.split("|")[2].strip() for row in rows] == ["`s3-encryption`", "`s3-lifecycle`"]
    assert r"it is wrong: 50% \| 1" in rows[0]
    assert "| `bucket` | `aws:s3:Bucket` | bucket: `b\\|c` |" in text


def test_annotations_are_escaped_workflow_commands(judged_plan: EnvironmentPlan) -> None:
    commands = github_annotations(judged_plan)

    assert commands == [
        "::error title=s3-encryption in organization/storage/development::[s3-encryption] "
        f"bucket ({t.BUCKET}): it is wrong: 50%25 | 1%0Aline. Fix: fix it",
        "::warning title=s3-lifecycle in organization/storage/development::[s3-lifecycle] "
        f"bucket ({t.BUCKET}): it is wrong: 50%25 | 1%0Aline. Fix: fix it",
    ]


def test_markdown_to_a_file_with_annotations_on_a_blocked_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_key = aws.kms.Key

    def key_without_rotation(name: str, *args: Any, **kwargs: Any) -> Any:
        return real_key(name, *args, **{**kwargs, "enable_key_rotation": False})

    monkeypatch.setattr(aws.kms, "Key", key_without_rotation)
    target = tmp_path / "summary.md"
    out = io.StringIO()

    code = run_plan(
        "development",
        project="security",
        fmt="markdown",
        output=str(target),
        annotate=True,
        out=out,
    )

    assert code == 1
    written = target.read_text(encoding="utf-8")
    assert "❌ **1 mandatory finding blocks this plan**." in written
    assert "| ❌ mandatory | `kms-key-rotation` | `webapp-development-key` |" in written
    printed = out.getvalue()
    assert f"Markdown plan written to {target}" in printed
    assert "::error title=kms-key-rotation in organization/security/development::" in printed


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fmt": "html"}, "unknown format 'html': use one of text, markdown"),
        ({"output": "/no/such/dir/plan.md"}, "cannot write the text plan to /no/such/dir/plan.md"),
    ],
)
def test_bad_report_options_are_refused_before_planning(
    options: dict[str, str], message: str
) -> None:
    def never(*args: object) -> Any:
        raise AssertionError("planned despite a bad option")

    with pytest.raises(PlanError, match=re.escape(message)):
        run_plan("development", evaluate_program=never, **options)  # type: ignore[arg-type]


def test_run_graph_refuses_an_unknown_format() -> None:
    with pytest.raises(PlanError, match="unknown format 'svg': use one of mermaid, dot"):
        run_graph("development", fmt="svg")


def test_the_graph_task_prints_the_diagram(capsys: pytest.CaptureFixture[str]) -> None:
    tasks.graph(Context(), env="development", format_="dot", project="storage")

    text = capsys.readouterr().out
    assert re.findall(r"subgraph cluster_stack_(\w+)", text) == ["security", "storage"]


def test_the_graph_task_turns_user_errors_into_exit_1() -> None:
    with pytest.raises(Exit) as caught:
        tasks.graph(Context(), env="staging")

    assert caught.value.code == 1
    assert "unknown environment 'staging'" in str(caught.value.message)


def test_the_pictures_do_not_depend_on_the_interpreters_string_hashing() -> None:
    # A walk over a set of URNs drew arrows in a different order in every interpreter, so the
    # committed pictures looked stale at random.
    outputs = {
        subprocess.run(
            [sys.executable, "-m", "invoke", "graph", "--env", "production", "--view", "compute"],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1
