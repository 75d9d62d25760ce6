"""IAM policy documents, built as data and serialised with `json` (never by string pasting)."""

from __future__ import annotations

import json
from collections.abc import Sequence

AWS_MANAGED = "arn:aws:iam::aws:policy/"


def assume_role_policy(service: str, actions: Sequence[str] = ("sts:AssumeRole",)) -> str:
    """Trust policy letting an AWS service principal assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
        }
    )


def managed(name: str) -> str:
    return AWS_MANAGED + name
