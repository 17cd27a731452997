"""The cloud census on the real engine (issue 21): a lost leaf state is not recreated.

The leaf stack (the topology's last in deploy order) has no consumer whose state could say it
existed; only the cloud can. A deploy after its state file is removed refuses, naming what the
census found, and creates nothing; drift names a resource tagged for a stack outside its state.
"""

from __future__ import annotations

import pytest

from shared.topology import TOPOLOGY
from tests.engine.engine_support import EngineEnv, Tasks

pytestmark = pytest.mark.engine

ENV = "development"
LEAF = TOPOLOGY.names[-1]


def test_a_lost_leaf_state_is_refused_by_the_census_and_drift_finds_unmanaged(
    tasks: Tasks, engine_env: EngineEnv
) -> None:
    assert tasks.deploy(ENV).code == 0
    before = engine_env.operator.inventory()
    (engine_env.backend_dir / ".pulumi" / "stacks" / LEAF / f"{ENV}.json").unlink()

    refused = tasks.deploy(ENV, LEAF)
    assert refused.code != 0, refused.text
    stack = f"organization/{LEAF}/{ENV}"
    assert f"the state of {stack} is missing or empty, but the cloud holds" in refused.text
    assert "tagged for it" in refused.text
    assert f"invoke state history --env {ENV} --project {LEAF}" in refused.text
    assert "--recreate-missing-state" in refused.text
    assert engine_env.operator.inventory() == before

    # A resource tagged for a deployed producer that its state does not hold.
    producer = TOPOLOGY.names[0]
    ec2 = engine_env.operator.client("ec2")
    stray = ec2.create_vpc(CidrBlock="10.99.0.0/16")["Vpc"]["VpcId"]
    tags = {"Project": "webapp", "Environment": ENV, "Component": producer}
    ec2.create_tags(Resources=[stray], Tags=[{"Key": k, "Value": v} for k, v in tags.items()])

    drift = tasks.run(ENV, lambda o: o.drift())
    assert drift.code != 0, drift.text
    assert "unmanaged: 1 resource (1 ec2:vpc)" in drift.out
    assert stray in drift.out
    assert f"the state of {stack} is missing or empty" in drift.out
