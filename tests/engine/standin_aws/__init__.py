"""TEST-ONLY stand-in for the `pulumi-resource-aws` provider plugin. Never used by a real deploy.

The real AWS provider plugin cannot be obtained on this machine, so the engine tests install this
package, behind a `pulumi-resource-aws` wrapper script, into a temporary `PULUMI_HOME` that the
tests create (never the user's `~/.pulumi`). It answers the engine's ResourceProvider gRPC
protocol for the `aws:` types our programs deploy by making the AWS calls the real provider
makes, through boto3, against the AWS emulator the provider is configured with (moto's server
in the tests, as `invoke --endpoint URL` configures the real provider). Ids, ARNs, tags, name
uniqueness, describe results and deletions are the emulator's; what AWS refuses and the
emulator accepts is a thin layer of named refusals, each citing the AWS documentation it
comes from.

Modules:
- `server`: the gRPC ResourceProvider service; `python -m tests.engine.standin_aws` runs it.
- `configuration`: what Configure accepts (region, default tags, endpoints, credentials,
  allowedAccountIds); `emulator`: the account's boto3 clients and the provider's error wording.
- `kinds/`: per AWS service, what Create, Read, Update and Delete call (a `kinds.base.Kind`
  subclass per type; `Ec2Kind` for the EC2 types that share one Create/Describe/Delete shape).
- `refusals/`: what AWS refuses and the emulator accepts; `reach`: what an instance can reach
  (a fact the emulator lacks), asked of the emulator when it is needed.
- `naming`: autonaming and replacement keys, from the type table `shared.aws_types`.
- `functions`: the invokes; `faults`: delays and failures a test injects; `wire`: protobuf
  Structs; `errors`: the provider's error shapes; `install`: the plugin's PULUMI_HOME layout.
"""

PLUGIN_NAME = "aws"
# The pulumi-aws SDK pinned in pyproject.toml asks the engine for exactly this plugin version.
PLUGIN_VERSION = "7.51.1"
