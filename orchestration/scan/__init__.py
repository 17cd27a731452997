"""A second opinion on every plan: the offline plan as Terraform plan JSON, judged by Checkov.

pulumi-aws resources are Terraform AWS provider resources under other names, so the offline
plan (orchestration/plan) translates into the JSON `terraform show -json` writes
(`translate.py`, with the type table of `terraform_types.py` and the references of
`references.py`). `invoke scan` runs a pinned Checkov on it (`checkov.py`, installed by
orchestration/scan/checkov_install.py), explains what it accepts (`suppressions.py`, reading
`suppressions.yaml`) and reports the rest (`cli.py`). Our own rules (program/policy) stay the
authority for what blocks a deploy; Checkov is the industry's opinion next to them.
"""
