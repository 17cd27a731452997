"""A KMS key scheduled for deletion behind Pulumi's back (issue 21, items 11 and 12), on the real
engine with the stand-in provider: the provider reads such a key as gone, and a deploy used to
create a second key and re-point its consumers. It now refuses, naming the pending deletion,
the commands that save the key and the consumer stacks; after those commands the deploy goes on
with the same key.
"""

from __future__ import annotations

import pytest

from shared.export_values import KMS_KEY_ARN_EXPORTS
from shared.settings import load_settings
from shared.topology import TOPOLOGY
from tests.engine.engine_support import EngineEnv, Tasks

pytestmark = pytest.mark.engine

ENV = "development"
# The project that exports the key, and the consumers that read it (from the topology).
HOLDER = next(
    name for name in TOPOLOGY.names if set(TOPOLOGY.project(name).exports) & KMS_KEY_ARN_EXPORTS
)
READERS = [
    name
    for name in TOPOLOGY.consumers(HOLDER)
    if set(TOPOLOGY.project(name).requires[HOLDER]) & KMS_KEY_ARN_EXPORTS
]
# Deployed for the test: the key's stack and the readers that need nothing else (the cheap ones).
DEPLOYED = [HOLDER] + [name for name in READERS if set(TOPOLOGY.all_producers(name)) <= {HOLDER}]


def test_a_key_pending_deletion_is_refused_then_saved_with_the_printed_commands(
    tasks: Tasks, engine_env: EngineEnv
) -> None:
    for project in DEPLOYED:
        deployed = tasks.deploy(ENV, project)
        assert deployed.code == 0, deployed.text
    operator = engine_env.operator
    kms = operator.client("kms")
    [key] = operator.live_keys()
    kms.schedule_key_deletion(KeyId=key, PendingWindowInDays=7)
    before = operator.inventory()

    refused = tasks.deploy(ENV)

    assert refused.code != 0, refused.text
    text = refused.text
    assert "is pending deletion until" in text
    at = f"--region {load_settings(ENV).region} --endpoint-url {engine_env.endpoint}"
    assert f"`aws kms cancel-key-deletion --key-id {key} {at}`" in text
    assert f"`aws kms enable-key --key-id {key} {at}`" in text
    assert f"{', '.join(READERS)} read" in text
    assert f"--project {HOLDER} --allow-delete" in text
    # Nothing was created: no second key, no stack that was not there.
    assert [entry["KeyId"] for entry in kms.list_keys()["Keys"]] == [key]
    assert operator.inventory() == before

    kms.cancel_key_deletion(KeyId=key)
    kms.enable_key(KeyId=key)
    for project in DEPLOYED:
        again = tasks.deploy(ENV, project)
        assert again.code == 0, again.text
    assert operator.live_keys() == [key]
    assert [entry["KeyId"] for entry in kms.list_keys()["Keys"]] == [key]
