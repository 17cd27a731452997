"""The type table: one row per token, and both placeholder tables read their facts from it."""

from __future__ import annotations

from orchestration.plan import placeholders
from shared import aws_types as t
from tests.engine.standin_aws import naming
from tests.engine.standin_aws.kinds import KINDS


def test_each_row_is_filed_under_its_own_token() -> None:
    assert all(token == row.token and t.is_aws_resource(token) for token, row in t.TYPES.items())
    assert len({row.terraform for row in t.TYPES.values()}) == len(t.TYPES)


def test_the_stateful_types_are_the_key_the_bucket_and_the_queue() -> None:
    assert {t.KMS_KEY, t.BUCKET, t.SQS_QUEUE} == t.STATEFUL_TYPES


def test_a_type_without_a_row_counts_as_holding_data_an_engine_type_does_not() -> None:
    assert t.holds_data(t.BUCKET)
    assert t.holds_data("aws:dynamodb/table:Table")
    assert not t.holds_data(t.VPC)
    assert not t.holds_data(t.STACK_REFERENCE)
    assert not t.holds_data("webapp:storage:EncryptedBucket")


def test_an_alb_alias_has_the_facts_of_its_lb_type() -> None:
    alias, original = t.TYPES[t.ALB_TARGET_GROUP], t.TYPES[t.TARGET_GROUP]
    assert alias.terraform == "aws_alb_target_group"
    assert (alias.autoname, alias.replace_keys) == (original.autoname, original.replace_keys)
    assert t.with_aliases(t.TARGET_GROUP) == (t.TARGET_GROUP, t.ALB_TARGET_GROUP)
    assert KINDS[t.ALB_TARGET_GROUP] is KINDS[t.TARGET_GROUP]


def test_a_name_the_provider_generates_forces_a_replacement_as_does_the_region() -> None:
    assert {"name", "namePrefix", "region"} <= t.TYPES[t.IAM_ROLE].replace_keys
    assert {"bucket", "bucketPrefix", "objectLockEnabled"} <= t.TYPES[t.BUCKET].replace_keys


def test_the_offline_plan_and_the_stand_in_only_fill_types_the_table_knows() -> None:
    # Else a type would get outputs but neither its generated name nor its replace keys.
    assert set(placeholders.KINDS) - set(t.TYPES) == set()
    assert set(KINDS) - set(t.TYPES) == set()


def test_the_stand_in_replaces_as_the_table_says() -> None:
    assert naming.replace_keys(t.SUBNET, {}) == t.TYPES[t.SUBNET].replace_keys
    assert naming.replace_keys("aws:foo/bar:Bar", {}) == {"region"}
    flagged = naming.replace_keys(t.INSTANCE, {"userDataReplaceOnChange": True})
    assert {"userData", "userDataBase64"} <= flagged - naming.replace_keys(t.INSTANCE, {})


def test_the_stand_in_tags_exactly_the_types_pulumi_aws_tags() -> None:
    for token, kind in KINDS.items():
        _, default_tags = t.tag_support(token)
        assert kind.tagged == default_tags, token
