"""The cloud census in the runner (issue 21), against the in-memory engine and a census double:
a stack without state is not created beside what the cloud holds for it; drift names what the
state does not hold; destroy warns about what is left; without AWS access it is one line."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest

from orchestration.runner import Orchestrator, StateLost, Status
from orchestration.state.census import Census, CensusFailed, CloudResource
from shared.settings import EnvironmentSettings
from tests.orchestration.engine_double import InMemoryEngine
from tests.topology_roles import LEAF, ROOT, deploy_order

VPC = "arn:aws:ec2:us-west-2:123456789012:vpc/vpc-0abc"
BUCKET = "arn:aws:s3:::webapp-development-data"


class CensusDouble:
    """What the cloud holds per project; counts how often it was asked."""

    def __init__(self, found: dict[str, tuple[CloudResource, ...]] | None = None) -> None:
        self.found = found or {}
        self.asked: list[tuple[str, ...]] = []
        self.fail = False

    def __call__(self, projects: Sequence[str]) -> Census:
        self.asked.append(tuple(projects))
        if self.fail:
            raise CensusFailed("the cloud census could not ask AWS (tag:GetResources: denied)")
        return Census(self.found)


@pytest.fixture
def out() -> io.StringIO:
    return io.StringIO()


def orchestrator(
    engine: InMemoryEngine, settings: EnvironmentSettings, out: io.StringIO, census: object
) -> Orchestrator:
    return Orchestrator(engine, settings, out=out, census=census)  # type: ignore[arg-type]


def test_a_leaf_without_state_is_not_created_beside_what_the_cloud_holds(
    development: EnvironmentSettings, out: io.StringIO
) -> None:
    engine = InMemoryEngine()
    engine.deploy_all()
    engine.lose_state(LEAF)
    census = CensusDouble({LEAF: (CloudResource(VPC), CloudResource(VPC + "d"))})

    with pytest.raises(StateLost) as refused:
        orchestrator(engine, development, out, census).deploy(yes=True)

    text = str(refused.value)
    assert f"organization/{LEAF}/development is missing or empty" in text
    assert "2 resources (2 ec2:vpc) tagged for it" in text
    assert f"invoke state history --env development --project {LEAF}" in text
    assert f".pulumi/backups/{LEAF}/" in text
    assert "--recreate-missing-state" in text
    assert engine.mutating_calls == []
    assert len(census.asked) == 1

    report = orchestrator(engine, development, out, census).deploy(
        yes=True, recreate_missing_state=True
    )
    assert report.exit_code == 0
    assert LEAF in engine.ops("up")


def test_a_census_that_cannot_ask_stops_a_deploy_that_would_create(
    development: EnvironmentSettings, out: io.StringIO
) -> None:
    engine = InMemoryEngine()
    census = CensusDouble()
    census.fail = True

    with pytest.raises(StateLost) as refused:
        orchestrator(engine, development, out, census).deploy(yes=True)

    assert "tag:GetResources: denied" in str(refused.value)
    assert ", ".join(deploy_order()) in str(refused.value)
    assert engine.mutating_calls == []


def test_a_deploy_of_deployed_stacks_takes_no_census(
    development: EnvironmentSettings, out: io.StringIO
) -> None:
    engine = InMemoryEngine()
    engine.deploy_all()
    census = CensusDouble({ROOT: (CloudResource(VPC),)})

    assert orchestrator(engine, development, out, census).deploy(yes=True).exit_code == 0
    assert census.asked == []


def test_without_aws_access_the_census_is_skipped_in_one_line(
    development: EnvironmentSettings, out: io.StringIO
) -> None:
    engine = InMemoryEngine()

    report = orchestrator(engine, development, out, None).deploy(yes=True)

    assert report.exit_code == 0
    assert out.getvalue().count("Cloud census skipped: this run has no AWS access") == 1


def test_drift_names_what_is_tagged_for_a_stack_outside_its_state(
    development: EnvironmentSettings, out: io.StringIO
) -> None:
    engine = InMemoryEngine()
    engine.deploy_all()
    engine.lose_state(LEAF)
    census = CensusDouble({ROOT: (CloudResource(BUCKET),), LEAF: (CloudResource(VPC),)})

    report = orchestrator(engine, development, out, census).drift()

    assert report.outcome(ROOT).status is Status.DRIFTED
    assert "unmanaged: 1 resource (1 s3:bucket)" in report.outcome(ROOT).detail
    assert BUCKET in report.outcome(ROOT).detail
    assert report.outcome(LEAF).status is Status.LOST
    assert "1 resource (1 ec2:vpc) tagged for it" in report.outcome(LEAF).detail
    assert report.exit_code != 0
    assert len(census.asked) == 1


def test_destroy_warns_about_what_the_cloud_still_holds(
    development: EnvironmentSettings, out: io.StringIO
) -> None:
    engine = InMemoryEngine()
    engine.deploy_all()
    census = CensusDouble({LEAF: (CloudResource(VPC),)})

    report = orchestrator(engine, development, out, census).destroy(yes=True)

    assert report.exit_code == 0
    warnings = [line for line in out.getvalue().splitlines() if line.startswith("WARNING:")]
    assert warnings == [
        f"WARNING: organization/{LEAF}/development was destroyed, but the cloud still holds "
        f"1 resource (1 ec2:vpc) tagged for it ({VPC})."
    ]
