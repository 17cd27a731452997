"""Team deploy roles as code: each team's least-privilege policy, derived from its plan.

`actions.py` is the one cited table of IAM actions per pulumi-aws type and lifecycle;
`authorization.py` reads AWS's Service Authorization Reference (resource types, ARN formats and
condition keys per action) from the extract in `service_authorization.json`; `policy.py` turns
a project's offline plan into a policy; `documents.py` adds the trust policy and names the role.
"""
