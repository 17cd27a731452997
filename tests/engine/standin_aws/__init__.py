"""TEST-ONLY stand-in for the `pulumi-resource-aws` provider plugin. Never used by a real deploy.

The real AWS provider plugin cannot be obtained on this machine, so the engine tests install this
package, behind a `pulumi-resource-aws` wrapper script, into a temporary `PULUMI_HOME` that the
tests create (never the user's `~/.pulumi`). It answers the engine's ResourceProvider gRPC
protocol for any `aws:` resource type by echoing inputs as outputs and filling the computed
outputs our programs read (ids, ARNs, DNS names, default tags...) with plausible, deterministic
values, and it refuses what AWS refuses, with AWS's error codes in the real provider's wording.
Nothing here talks to AWS: the "cloud" is a JSON file (see `cloud.py`) that tests can change
behind Pulumi's back to simulate drift.

Modules:
- `wire`: the JSON form of protobuf Structs (secrets, unknowns) and conversions.
- `account`: the provider configuration and what AWS made in the account itself (the default
  VPC, subnets, route table and security groups).
- `catalog`: per type token, the id and computed outputs the real provider fills in;
  `rendering` renders them and answers which changes replace a resource, reading the input
  the provider names and the replace-on-change keys from the type table, `shared.aws_types`.
- `functions`: the functions (invokes) the programs call.
- `cloud`: the file-backed, lock-protected cloud state; also the helper API for tests.
- `lifecycle`: what Create/Update/Delete do to the cloud; it runs, per type:
  `uniqueness` (names AWS keeps unique), `ec2_rules`, `endpoint_rules`, `elb_rules`,
  `logging_rules` (refusals), `launch_templates` and `autoscaling` (versions, launches,
  instance refresh), `reachability` (what an instance could reach at launch), `delivery`
  (whether access and flow logs arrive); over `lookups` (questions about the cloud), `routing`
  (route tables), `security_groups` (what rules let through), `policies` (resource, trust and
  identity policy evaluation), `change` (one operation) and `errors` (the provider's error
  shape).
- `server`: the gRPC ResourceProvider service; `python -m tests.engine.standin_aws` runs it as
  a plugin.
- `install`: puts the plugin into a PULUMI_HOME the way the engine discovers plugins.
"""

PLUGIN_NAME = "aws"
# The pulumi-aws SDK pinned in pyproject.toml asks the engine for exactly this plugin version.
PLUGIN_VERSION = "7.51.1"
# Environment variable naming the cloud file; default `$PULUMI_HOME/standin-aws-cloud.json`.
CLOUD_FILE_ENV = "STANDIN_AWS_CLOUD_FILE"
# The fixed account every caller identity and ARN uses.
ACCOUNT_ID = "123456789012"
