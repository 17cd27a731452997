"""Reading upstream stack outputs: fully qualified names, and only what the contract declares."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from shared.topology import TOPOLOGY, Topology

if TYPE_CHECKING:
    import pulumi

# DIY backends (file, S3, ...) have no organizations: the engine uses this fixed one.
DIY_ORGANIZATION = "organization"
DIY_BACKEND_SCHEMES = ("file://", "s3://", "gs://", "azblob://", "postgres://")


def is_diy_backend(backend_url: str) -> bool:
    """True for self-managed state backends, whose stack names use `organization/`."""
    return backend_url.startswith(DIY_BACKEND_SCHEMES)


def organization_for(backend_url: str, cloud_organization: str | None = None) -> str:
    """The organization part of a fully qualified stack name on `backend_url`."""
    if is_diy_backend(backend_url):
        return DIY_ORGANIZATION
    if not cloud_organization:
        raise ValueError(
            f"backend {backend_url!r} is Pulumi Cloud: set PULUMI_ORGANIZATION (or log in with "
            "`pulumi login` and set a default org) so stack references can be fully qualified"
        )
    return cloud_organization


def qualified_stack_name(organization: str, project: str, environment: str) -> str:
    """`<org>/<project>/<stack>`; the stack name is the environment name."""
    return f"{organization}/{project}/{environment}"


class UpstreamStacks:
    """StackReferences of one consumer project, limited to the outputs its contract declares.

    The organization comes from the running program, so the same code is right on a file
    backend, on S3 and on Pulumi Cloud.
    """

    def __init__(
        self,
        consumer: str,
        environment: str,
        *,
        topology: Topology = TOPOLOGY,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        topology.project(consumer)
        self._consumer = consumer
        self._environment = environment
        self._topology = topology
        self._opts = opts
        self._references: dict[str, pulumi.StackReference] = {}

    def require(self, producer: str, output: str) -> pulumi.Output[Any]:
        """An upstream output; ContractError if the contract does not declare the read."""
        self._topology.check_read(self._consumer, producer, output)
        return self._reference(producer).require_output(output)

    def _reference(self, producer: str) -> pulumi.StackReference:
        # Imported here: the orchestrator imports this module for the stack names only, and the
        # SDK costs it half a second of CPU; the programs that read references have it loaded.
        import pulumi  # noqa: PLC0415

        if producer not in self._references:
            name = qualified_stack_name(pulumi.get_organization(), producer, self._environment)
            self._references[producer] = pulumi.StackReference(name, opts=self._opts)
        return self._references[producer]
