"""IAM policy documents, built as data and serialised with `json` (never by string pasting), and the
EKS Pod Identity association that hands a role to a service account."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pulumi

AWS_MANAGED = "arn:aws:iam::aws:policy/"


def assume_role_policy(service: str, actions: Sequence[str] = ("sts:AssumeRole",)) -> str:
    """Trust policy letting an AWS service principal assume the role."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": list(actions)}],
        }
    )


def pod_identity_trust() -> str:
    """Trust policy of a role handed to pods by EKS Pod Identity (which also tags the session)."""
    return assume_role_policy("pods.eks.amazonaws.com", ("sts:AssumeRole", "sts:TagSession"))


def managed(name: str) -> str:
    return AWS_MANAGED + name


def pod_identity_association(
    name: str,
    *,
    cluster: pulumi.Input[str],
    namespace: str,
    service_account: str,
    role_arn: pulumi.Input[str],
    agent: pulumi.Resource | None,
    parent: pulumi.Resource,
) -> pulumi.Resource:
    """EKS Pod Identity: `namespace/service_account` gets `role_arn`, once the agent add-on runs."""
    import pulumi_aws as aws

    association: pulumi.Resource = aws.eks.PodIdentityAssociation(
        name,
        cluster_name=cluster,
        namespace=namespace,
        service_account=service_account,
        role_arn=role_arn,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[agent] if agent else []),
    )
    return association
