"""Facts about AWS that the programs, the offline plan and the stand-in share."""

from __future__ import annotations

import pytest

from shared.aws_facts import dns_suffix, partition_of, zone_id, zone_id_prefix, zone_names


@pytest.mark.parametrize(
    ("region", "partition", "suffix"),
    [
        ("us-west-2", "aws", "amazonaws.com"),
        ("eu-central-1", "aws", "amazonaws.com"),
        ("us-gov-west-1", "aws-us-gov", "amazonaws.com"),
        ("cn-north-1", "aws-cn", "amazonaws.com.cn"),
    ],
)
def test_a_region_belongs_to_one_partition_with_its_dns_suffix(
    region: str, partition: str, suffix: str
) -> None:
    assert partition_of(region) == partition
    assert dns_suffix(partition_of(region)) == suffix


@pytest.mark.parametrize(
    ("region", "prefix"),
    [
        ("us-west-2", "usw2"),
        ("us-east-1", "use1"),
        ("eu-central-1", "euc1"),
        ("ap-southeast-2", "apse2"),
        ("ap-northeast-1", "apne1"),
        ("us-gov-west-1", "usgw1"),
    ],
)
def test_zone_ids_abbreviate_the_region_as_aws_does(region: str, prefix: str) -> None:
    assert zone_id_prefix(region) == prefix


def test_the_doubles_offer_four_zones_with_ids_in_letter_order() -> None:
    names = zone_names("us-west-2")
    assert names == ["us-west-2a", "us-west-2b", "us-west-2c", "us-west-2d"]
    assert [zone_id(name) for name in names] == [f"usw2-az{n}" for n in range(1, 5)]
