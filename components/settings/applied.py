"""Settings nothing would apply: each refused, with why and the way out, rather than planned and
silently dropped (the user would believe a restriction or a cap that never happens).

Per key, where it is applied and where it is refused:
- `cluster.endpointPublicAccess`, `cluster.publicAccessCidrs`: eks, on a cluster the stack creates
  (EKS sets them only through CreateCluster and UpdateClusterConfig); refused on an adopted cluster,
  on gke and openshift, and the CIDRs without a public endpoint.
- `autoscaling.profile`: gke, on a created cluster (a field of the cluster); refused elsewhere.
- `autoscaling.limits`: eks and openshift (the Cluster Autoscaler's totals), gke with engine
  compute-class on a created cluster (node auto-provisioning's cores and memory maxima; not a node
  count, no minimum).
- `autoscaling.expander`, `scaleDownDelayAfterAdd`, `scaleDownUnneededTime`: eks and openshift;
  GKE's own autoscaler takes none. OpenShift's ClusterAutoscaler offers three of the expanders.
- `nodePools[].amiType` with engine karpenter: refused (NodePools boot the AMI alias).
- `pipelines` without ReadWriteMany storage: refused (its workspaces need it).
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic.alias_generators import to_camel

from .autoscaling import COMPUTE_CLASS, KARPENTER, Autoscaling
from .base import PROJECT, _Context
from .pools import NodePool
from .storage import Storage
from .workloads import Pipelines

EKS_VPC_CONFIG = "EKS API: VpcConfigRequest is an input of CreateCluster and UpdateClusterConfig only"
GKE_CLUSTER_AUTOSCALING = "GKE API: Cluster.autoscaling, changed by clusters.update desiredClusterAutoscaling"
OPENSHIFT_EXPANDERS = {"least-waste": "LeastWaste", "priority": "Priority", "random": "Random"}  # its CRD's enum
CLUSTER_AUTOSCALER_ONLY = ("expander", "scale_down_delay_after_add", "scale_down_unneeded_time")


def _check_applied(
    ctx: _Context,
    a: Autoscaling,
    pools: Sequence[NodePool],
    storage: Storage,
    pipelines: Pipelines | None,
    errors: list[str],
    storage_complete: bool = True,
) -> None:
    """`storage_complete`: every storage backend the stack file declares validated (else its own
    error is the root cause)."""
    _check_endpoint(ctx, errors)
    _check_autoscaler_keys(ctx, a, errors)
    if a.engine == KARPENTER:
        for pool in pools:
            if pool.ami_type is not None:
                errors.append(
                    f"{PROJECT}:nodePools[{pool.name}].amiType: not used with engine karpenter: its NodePools boot "
                    f"the AL2023 AMI of {PROJECT}:autoscaling.karpenter.amiAlias (one EC2NodeClass for every pool); "
                    "remove it"
                )
    if pipelines is not None and ctx.platform is not None and storage_complete and not storage.rwx_declared:
        backend = "storage.filestore" if ctx.platform == "gke" else "storage.efs"
        errors.append(
            f"{PROJECT}:pipelines: its runs' workspaces need ReadWriteMany storage, and the stack declares none: every "
            f"run would wait for a volume that never binds; enable {PROJECT}:{backend}, or set "
            f"{PROJECT}:pipelines.enabled: false"
        )


def _check_endpoint(ctx: _Context, errors: list[str]) -> None:
    c = ctx.cluster
    if c is None or ctx.platform is None:
        return
    at = f"{PROJECT}:cluster"
    given = [k for k in ("endpoint_public_access", "public_access_cidrs") if k in c.model_fields_set]
    if ctx.platform != "eks":
        errors += [f"{at}.{to_camel(k)}: not used on platform {ctx.platform} (an EKS endpoint setting)" for k in given]
        return
    if not c.create:
        for key in given:
            value = (
                ",".join(cidr if isinstance(cidr, str) else "<output>" for cidr in c.public_access_cidrs)
                if key == "public_access_cidrs"
                else str(c.endpoint_public_access).lower()
            )
            errors.append(
                f"{at}.{to_camel(key)}: not applied to an adopted cluster (cluster.create: false): the stack only "
                f"reads {c.name}; set it on the cluster yourself (aws eks update-cluster-config --name {c.name} "
                f"--resources-vpc-config {to_camel(key)}={value}) and remove the key ({EKS_VPC_CONFIG})"
            )
    elif "public_access_cidrs" in given and not c.endpoint_public_access:
        errors.append(
            f"{at}.publicAccessCidrs: not applied with endpointPublicAccess: false (there is no public endpoint to "
            "restrict); remove it"
        )


def _check_autoscaler_keys(ctx: _Context, a: Autoscaling, errors: list[str]) -> None:
    at = f"{PROJECT}:autoscaling"
    c = ctx.cluster
    given = a.model_fields_set
    if "profile" in given and ctx.platform in ("eks", "openshift"):
        instead = "consolidateAfter" if a.engine == KARPENTER else "scaleDownUnneededTime"
        errors.append(
            f"{at}.profile: only for platform gke (GKE's autoscaling profile); on {ctx.platform}, "
            f"{at}.{'karpenter.' if a.engine == KARPENTER else ''}{instead} says how soon idle nodes go"
        )
    if ctx.platform == "gke":
        for key in CLUSTER_AUTOSCALER_ONLY:
            if key in given:
                errors.append(
                    f"{at}.{to_camel(key)}: not used on platform gke: GKE runs its own autoscaler, which takes no "
                    f"expander and no scale-down timings ({at}.profile chooses how soon idle nodes go: "
                    "OPTIMIZE_UTILIZATION or BALANCED); remove it"
                )
        adopted = c is not None and not c.create
        where = f"--location {c.location}" if c is not None and c.location else ""
        name = c.name if c is not None else "NAME"
        if "profile" in given and adopted:
            flag = a.profile.lower().replace("_", "-")
            errors.append(
                f"{at}.profile: not applied to an adopted cluster (cluster.create: false): the autoscaling profile is "
                f"the cluster's own setting, and the stack only reads {name}; set it on the cluster (gcloud container "
                f"clusters update {name} {where} --autoscaling-profile {flag}) and remove the key "
                f"({GKE_CLUSTER_AUTOSCALING})"
            )
        if "limits" in given:
            if a.engine != COMPUTE_CLASS or not a.enabled:
                errors.append(
                    f"{at}.limits: not used on platform gke with engine {a.engine}: GKE scales each node pool within "
                    "its minSize..maxSize, and these limits cap node auto-provisioning, which only engine "
                    "compute-class turns on; remove it (the pools' maxSize bound them)"
                )
            elif adopted:
                errors.append(
                    f"{at}.limits: not applied to an adopted cluster (cluster.create: false): node auto-provisioning's "
                    f"limits are the cluster's own setting, and the stack only reads {name}; set them on the cluster "
                    f"(gcloud container clusters update {name} {where} --enable-autoprovisioning --max-cpu "
                    f"{a.limits.cores.max} --max-memory {a.limits.memory_gib.max}) and remove the key "
                    f"({GKE_CLUSTER_AUTOSCALING})"
                )
            elif "max_nodes_total" in a.limits.model_fields_set:
                errors.append(
                    f"{at}.limits.maxNodesTotal: not used on platform gke: node auto-provisioning caps cores and "
                    "memory, not nodes (Cluster.autoscaling.resourceLimits: cpu, memory); remove it"
                )
            else:
                for name in ("cores", "memory_gib"):
                    if "min" in getattr(a.limits, name).model_fields_set:
                        errors.append(
                            f"{at}.limits.{to_camel(name)}.min: not used on platform gke: the stack's node "
                            "auto-provisioning caps the classes' nodes from 0 (every build pool idles at zero); "
                            "remove it"
                        )
    if a.engine == KARPENTER or not a.enabled or ctx.platform == "gke":
        return
    if a.expander == "priority":
        errors.append(
            f"{at}.expander: priority ranks the node groups by a ConfigMap (cluster-autoscaler-priority-expander) "
            "the stack does not write, and without it the autoscaler falls back to random; use least-waste (the "
            "default) or random (kubernetes/autoscaler expander/priority)"
        )
    elif ctx.platform == "openshift" and a.expander not in OPENSHIFT_EXPANDERS:
        errors.append(
            f"{at}.expander: {a.expander} is not an expander OpenShift's ClusterAutoscaler offers (spec.expanders: "
            f"{', '.join(OPENSHIFT_EXPANDERS.values())}); use least-waste or random"
        )
    elif ctx.platform == "eks" and a.expander == "price":
        errors.append(
            f"{at}.expander: price needs a cloud provider that prices node groups, which the Cluster Autoscaler's AWS "
            "provider does not (kubernetes/autoscaler FAQ, 'What are Expanders?': GCE and GKE); use least-waste "
            "(the default)"
        )
