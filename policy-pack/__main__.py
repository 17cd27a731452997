"""The webapp security baseline as a CrossGuard policy pack.

Every rule in program.policy.RULES becomes one policy, named by the rule id; the rule
functions are the ones the offline plan runs, so the pack cannot drift from `invoke plan`.
"""

from pulumi_policy import PolicyPack

from program.policy.crossguard import PACK_NAME, policies

PolicyPack(name=PACK_NAME, policies=policies())
