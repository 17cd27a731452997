"""A gRPC client of the TEST-ONLY AWS stand-in for its fast tests: the calls the engine makes.

`Standin` wraps a ResourceProvider stub and an `Operator` of the emulated account it works in;
`serve_in_process` runs a stand-in in this process (no plugin start-up), configured for a fresh
account of the session's moto server, which is what most fast tests need; `refused` returns
the refusal a call meets and `network` builds a VPC with two subnets (and a gateway).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from concurrent import futures
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
from google.rpc import status_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from shared import aws_types as t
from tests.engine.emulated_account import REGION, Operator, new_account
from tests.engine.standin_aws import wire
from tests.engine.standin_aws.server import StandinAwsProvider

STACK = "urn:pulumi:development::security::"


def urn(type_: str, name: str) -> str:
    return f"{STACK}{type_}::{name}"


@dataclass
class Standin:
    """A running stand-in, its gRPC stub and an operator of its account."""

    stub: Any
    operator: Operator

    def create(self, type_: str, name: str, props: dict[str, Any], *, preview: bool = False) -> Any:
        return self.stub.Create(
            provider_pb2.CreateRequest(
                urn=urn(type_, name),
                name=name,
                type=type_,
                properties=wire.to_struct(props),
                preview=preview,
            )
        )

    def made(self, type_: str, name: str, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create; (id, outputs)."""
        response = self.create(type_, name, props)
        return response.id, wire.to_props(response.properties)

    def read(
        self,
        type_: str,
        name: str,
        id_: str,
        state: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
    ) -> Any:
        """Read, with what Pulumi's state holds: its outputs (`state`) and inputs."""
        return self.stub.Read(
            provider_pb2.ReadRequest(
                id=id_,
                urn=urn(type_, name),
                name=name,
                type=type_,
                properties=wire.to_struct(state or {}),
                inputs=wire.to_struct(inputs or {}),
            )
        )

    def update(
        self,
        type_: str,
        name: str,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        *,
        preview: bool = False,
    ) -> Any:
        return self.stub.Update(
            provider_pb2.UpdateRequest(
                id=id_,
                urn=urn(type_, name),
                name=name,
                type=type_,
                olds=wire.to_struct(olds),
                news=wire.to_struct(news),
                preview=preview,
            )
        )

    def delete(self, type_: str, name: str, id_: str, state: dict[str, Any] | None = None) -> Any:
        """Delete, with `state`: the outputs Pulumi's state holds for the resource."""
        return self.stub.Delete(
            provider_pb2.DeleteRequest(
                id=id_,
                urn=urn(type_, name),
                name=name,
                type=type_,
                properties=wire.to_struct(state or {}),
            )
        )

    def diff(
        self, type_: str, olds: dict[str, Any], news: dict[str, Any], ignore: tuple[str, ...] = ()
    ) -> Any:
        return self.stub.Diff(
            provider_pb2.DiffRequest(
                id="x",
                urn=urn(type_, "thing"),
                name="thing",
                type=type_,
                olds=wire.to_struct(olds),
                old_inputs=wire.to_struct(olds),
                news=wire.to_struct(news),
                ignoreChanges=list(ignore),
            )
        )

    def invoke(self, token: str, args: dict[str, Any]) -> dict[str, Any]:
        response = self.stub.Invoke(
            provider_pb2.InvokeRequest(tok=token, args=wire.to_struct(args))
        )
        return wire.to_props(getattr(response, "return"))


def init_failure(error: grpc.RpcError) -> provider_pb2.ErrorResourceInitFailed | None:
    """The ErrorResourceInitFailed detail of a failed Create, if it carries one."""
    for key, value in error.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status.FromString(value)
            for detail in status.details:
                failed = provider_pb2.ErrorResourceInitFailed()
                if detail.Unpack(failed):
                    return failed
    return None


@contextmanager
def serve_in_process(endpoint: str, *, configure: bool = True) -> Iterator[Standin]:
    """A stand-in served in this process on 127.0.0.1, in a fresh account of `endpoint`'s
    emulator; configured for REGION and that account unless `configure` is False."""
    operator = Operator(endpoint, new_account(endpoint))
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=8))
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(StandinAwsProvider(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    channel = grpc.insecure_channel(f"127.0.0.1:{port}")
    stub = provider_pb2_grpc.ResourceProviderStub(channel)
    if configure:
        config = operator.provider_config()
        stub.Configure(provider_pb2.ConfigureRequest(args=wire.to_struct(config)))
    try:
        yield Standin(stub=stub, operator=operator)
    finally:
        channel.close()
        server.stop(grace=None)


def refused(call: Callable[[], Any]) -> str:
    """The details of the AWS refusal `call` meets."""
    with pytest.raises(grpc.RpcError) as raised:
        call()
    assert raised.value.code() == grpc.StatusCode.UNKNOWN, raised.value.details()
    return str(raised.value.details())


@dataclass
class Net:
    vpc: str
    subnets: list[str]
    gateway: str | None


def network(
    aws: Standin,
    name: str = "net",
    cidr: str = "10.20.0.0/16",
    *,
    gateway: bool = True,
    vpc_inputs: dict[str, Any] | None = None,
) -> Net:
    """A VPC of `cidr` with a /24 in each of zones a and b and, unless told not to, an
    internet gateway (no route tables: the VPC's main table has only the local route)."""
    vpc, _ = aws.made(t.VPC, name, {"cidrBlock": cidr, **(vpc_inputs or {})})
    second = cidr.split(".")[1]
    subnets = [
        aws.made(
            t.SUBNET,
            f"{name}-{zone}",
            {
                "vpcId": vpc,
                "availabilityZone": f"{REGION}{zone}",
                "cidrBlock": f"10.{second}.{index}.0/24",
            },
        )[0]
        for index, zone in enumerate("ab")
    ]
    igw = aws.made(t.INTERNET_GATEWAY, f"{name}-igw", {"vpcId": vpc})[0] if gateway else None
    return Net(vpc, subnets, igw)


def operator_network(aws: Standin, cidr: str = "10.20.0.0/16", *, gateway: bool = True) -> Net:
    """The same network as `network`, made by the operator with boto3 (for tests of other
    kinds, so they do not depend on the network kinds)."""
    ec2 = aws.operator.client("ec2")
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    second = cidr.split(".")[1]
    subnets = [
        ec2.create_subnet(
            VpcId=vpc, CidrBlock=f"10.{second}.{index}.0/24", AvailabilityZone=f"{REGION}{zone}"
        )["Subnet"]["SubnetId"]
        for index, zone in enumerate("ab")
    ]
    igw = None
    if gateway:
        igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
        ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    return Net(vpc, subnets, igw)
