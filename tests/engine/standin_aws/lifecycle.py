"""TEST-ONLY stand-in AWS provider: what happens in the cloud on Create, Update and Delete.

The catalog renders a resource's outputs; then AWS's rules for its type run: names unique in
their namespace (uniqueness.py), the service's refusals (ec2_rules, elb_rules, logging_rules)
and the behaviour AWS adds (launch template versions, Auto Scaling launches, gateway
attachments). Delivery facts are recomputed after every change. Everything works on the cloud
data inside one transaction of the caller, so a refusal leaves the cloud as it was; `failure`
is for the calls that fail after AWS created something (the caller saves, then reports).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared import aws_types as t
from tests.engine.standin_aws import (
    autoscaling,
    delivery,
    ec2_rules,
    elb_rules,
    endpoint_rules,
    logging_rules,
    lookups,
)
from tests.engine.standin_aws import launch_templates as templates
from tests.engine.standin_aws.account import ProviderConfig
from tests.engine.standin_aws.catalog import kind_of
from tests.engine.standin_aws.change import Change
from tests.engine.standin_aws.cloud import record_key
from tests.engine.standin_aws.errors import ProviderError
from tests.engine.standin_aws.rendering import render_outputs, seed_for
from tests.engine.standin_aws.uniqueness import existing_twin
from tests.engine.standin_aws.wire import Props, plain

Hook = Callable[[Change], None]


@dataclass(frozen=True)
class Hooks:
    check: Hook | None = None  # Create, before the record exists: refuse or adjust outputs
    created: Hook | None = None  # Create, once the record exists: facts, launches
    update: Hook | None = None
    delete: Hook | None = None


def _each(types: tuple[str, ...], hooks: Hooks) -> dict[str, Hooks]:
    return dict.fromkeys(types, hooks)


HOOKS: dict[str, Hooks] = {
    t.INSTANCE: Hooks(
        check=ec2_rules.create_instance,
        created=ec2_rules.note_instance_launch,
        delete=ec2_rules.delete_instance,
    ),
    t.SECURITY_GROUP: Hooks(
        check=ec2_rules.create_security_group, delete=ec2_rules.delete_security_group
    ),
    t.SUBNET: Hooks(check=ec2_rules.create_subnet, delete=ec2_rules.delete_subnet),
    t.INTERNET_GATEWAY: Hooks(
        created=ec2_rules.create_internet_gateway, update=ec2_rules.update_internet_gateway
    ),
    t.INTERNET_GATEWAY_ATTACHMENT: Hooks(created=ec2_rules.create_gateway_attachment),
    t.VPC_ENDPOINT: Hooks(
        check=endpoint_rules.create_vpc_endpoint, update=endpoint_rules.update_vpc_endpoint
    ),
    **_each(
        lookups.LOAD_BALANCERS,
        Hooks(
            check=elb_rules.create_load_balancer,
            update=elb_rules.update_load_balancer,
            delete=elb_rules.delete_load_balancer,
        ),
    ),
    **_each(lookups.TARGET_GROUPS, Hooks(delete=elb_rules.delete_target_group)),
    **_each(
        lookups.LISTENERS, Hooks(check=elb_rules.check_listener, update=elb_rules.check_listener)
    ),
    **_each(
        lookups.LISTENER_RULES,
        Hooks(check=elb_rules.check_listener_rule, update=elb_rules.check_listener_rule),
    ),
    t.BUCKET_LOGGING: Hooks(
        check=logging_rules.create_bucket_logging, update=logging_rules.create_bucket_logging
    ),
    t.FLOW_LOG: Hooks(check=logging_rules.create_flow_log),
    t.LOG_GROUP: Hooks(check=logging_rules.create_log_group, update=logging_rules.update_log_group),
    t.LAUNCH_TEMPLATE: Hooks(
        created=templates.created_launch_template, update=templates.update_launch_template
    ),
    t.AUTOSCALING_GROUP: Hooks(
        created=autoscaling.created_group,
        update=autoscaling.update_group,
        delete=autoscaling.delete_group,
    ),
}
NO_HOOKS = Hooks()


@dataclass(frozen=True)
class Outcome:
    id: str
    outputs: Props
    # AWS created the resource, then the operation failed: report this after saving.
    failure: str | None = None
    # Wait this long, then `settle`: AWS finishes asynchronously and the provider waits.
    settle_seconds: float | None = None


def _region(inputs: Props, config: ProviderConfig) -> str:
    return str(plain(inputs.get("region")) or config.region)


def _run(hook: Hook | None, change: Change) -> None:
    if hook is not None:
        hook(change)


def create(
    data: dict[str, Any], config: ProviderConfig, type_: str, urn: str, inputs: Props
) -> Outcome:
    generation = data["generations"].get(urn, 0) + 1
    seed = seed_for(urn, generation)
    resource_id, outputs = render_outputs(type_, urn, inputs, config, seed)
    change = Change(data, config, type_, _region(inputs, config), inputs, outputs)
    data["generations"][urn] = generation
    twin = existing_twin(change)
    if twin is not None:  # ELBv2's idempotent create: the same name and settings
        return Outcome(twin["id"], twin["outputs"])
    hooks = HOOKS.get(type_, NO_HOOKS)
    _run(hooks.check, change)
    key = record_key(type_, resource_id)
    if key in data["resources"]:
        raise ProviderError(f"{type_} id {resource_id!r} already exists")
    change.record = data["resources"][key] = {
        "type": type_,
        "id": resource_id,
        "urn": urn,
        "seed": seed,
        "region": change.region,
        "inputs": inputs,
        "outputs": outputs,
        "facts": {},
    }
    _run(hooks.created, change)
    delivery.refresh(data)
    return Outcome(resource_id, outputs, change.failure, change.settle_seconds)


def update(
    data: dict[str, Any],
    config: ProviderConfig,
    record: lookups.Record,
    news: Props,
    previous: Props,
) -> Outcome:
    """`previous`: the outputs in Pulumi's state (they keep an auto-generated name)."""
    type_, kind = record["type"], kind_of(record["type"])
    _, outputs = render_outputs(
        type_,
        record["urn"],
        news,
        config,
        record["seed"],
        resource_id=record["id"],
        previous=previous,
    )
    # Computed outputs stay what AWS has (a load balancer's VPC, a subnet's zone...).
    for key in set(kind.outputs) - set(news) - set(kind.recomputed):
        if key in record["outputs"]:
            outputs[key] = record["outputs"][key]
    change = Change(
        data, config, type_, _region(news, config), news, outputs, record, record["inputs"]
    )
    _run(HOOKS.get(type_, NO_HOOKS).update, change)
    record.update(inputs=news, outputs=outputs)
    delivery.refresh(data)
    return Outcome(record["id"], outputs, None, change.settle_seconds)


def delete(
    data: dict[str, Any], config: ProviderConfig, type_: str, resource_id: str, olds: Props
) -> None:
    """`olds`: the outputs in Pulumi's state (e.g. whether forceDestroy was applied)."""
    key = record_key(type_, resource_id)
    record = data["resources"].get(key)
    if record is None:
        return
    change = Change(
        data,
        config,
        type_,
        record.get("region") or config.region,
        record["inputs"],
        record["outputs"],
        record,
        olds,
    )
    _run(HOOKS.get(type_, NO_HOOKS).delete, change)
    del data["resources"][key]
    delivery.refresh(data)


def settle(data: dict[str, Any], type_: str, resource_id: str) -> None:
    """AWS finished what the create or update started (a gateway attachment is available)."""
    record = data["resources"].get(record_key(type_, resource_id))
    if record is not None:
        ec2_rules.settle_gateway(record)
