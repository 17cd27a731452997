"""The compute project: the network and the web servers running the application.

VPC with public subnets in two zones (production adds private ones, VPC endpoints; flow logs in
both) and EC2 web servers (AL2023, IMDSv2, CMK-encrypted root volume, no SSH/RDP: use SSM
Session Manager): development one instance served directly, production an ALB (HTTPS once
`compute:certificateArn` is set) in front of an Auto Scaling group in the private subnets

Its program is `__main__.py`, its knobs `config.py`, its stack files `Pulumi.<env>.yaml`.
"""
