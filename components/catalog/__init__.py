"""What the stack knows of the clouds, as data: each table with its source and date.

- `aws`: EC2 instance types at size granularity and their per-zone offerings, from
  `aws_instance_types.csv`, generated from moto's EC2 data (`python -m tools.catalog`).
- `api`: AWS API field constraints (min, max, pattern, enum), partitions and regions, from
  `aws_api.json`, generated from botocore's service models (`python -m tools.catalog`).
- `gcp`: Compute Engine machine series (sizes, arch, boot disks, arm64 zones): hand-kept, dated.
- `lifecycle`: Kubernetes minors on EKS/GKE, AL2023 AMI releases, Tekton releases, OpenShift
  Pipelines channels: hand-kept, dated.
- `prices`: on-demand list prices for the plan's cost estimate: hand-kept, dated.
- `replacements`: when `pulumi up` replaces a resource instead of updating it (the Terraform
  providers' ForceNew and CustomizeDiff rules, pulumi-kubernetes' list), from `replacements.json`,
  transcribed from upstream with file and line, for the package versions it records.

Checks read these; they do not restate them. Pure: no Pulumi, nothing at import time but constants.
"""
