"""GitLab runner whose jobs choose their architecture, and the CI/CD component that uses it.

Creates, in its own namespace (Pod Security `baseline`: jobs are unprivileged), a Kubernetes
Secret holding the runner authentication token (`runner-token`, a Pulumi secret end to end) and
the official `gitlab-runner` chart as a `helm.v3.Release` that references that Secret
(`runners.secret`) and never sees the token in its values. Its `config.toml` (generated with a
TOML library) uses the Kubernetes executor, lets a job pick `kubernetes.io/arch` through
`KUBERNETES_NODE_SELECTOR_ARCH` (and nothing else), lets it tolerate exactly the taints of the
stack's build pools (`KUBERNETES_NODE_TOLERATIONS_*`: the allowed regex is derived from them, GKE's
own arm64 taint included), sets the helper image's arch from the node, and sends jobs that ask
for nothing to the stack's default arch. Build jobs get exactly what buildah (vfs storage, chroot
isolation) needs: root in the build container and the `SETFCAP` capability, no privilege
escalation, nothing privileged. The manager pod itself may run on either arch.

On OpenShift the manager runs under `restricted-v2`, unchanged (the chart's fixed UID and fsGroup
are dropped, so OpenShift assigns the namespace's). Build jobs run as their own service account,
`gitlab-runner-jobs`, named in the config.toml, under a dedicated SCC with only what buildah
needs: any UID including root, and `SETFCAP`; nothing privileged, no host namespaces, ports or
paths. The SCC is granted by a Role in the runner's namespace (`use` on that one SCC) bound to
that service account alone, the way seed 001 grants `pipelines-scc` to its pipeline's `buildbot`
account, but with a namespaced Role.

`ci_component` is the GitLab CI/CD component the stack publishes (`templates/build-multi-arch.yml`):
per include (named by its `name` input), one buildah build job per arch, each pinned to its arch's
nodes and tolerating its pools' taints in its own variables, proving it ran natively and built
its arch, and a buildah manifest job that publishes an index of exactly the `arches` input's
images, each checked against its slot. The runner lets those jobs raise their own requests and
limits up to what the smallest arch's largest build node leaves them (`resource_overwrite_max`).

`config.py` holds the runner's config.toml, its chart values and OpenShift's SCC (pure),
`cicomponent.py` the CI/CD component's jobs, `ciinputs.py` its inputs, `ciscripts.py` its shell
(all pure), `component.py` the release's component.
"""

from .cicomponent import (
    COMPONENT_PATH,
    MANIFEST_JOB,
    TOLERATION_VARIABLE,
    build_job,
    ci_component,
    manifest_job,
)
from .ciinputs import DEFAULT_NAME, PUSH_SOURCES, component_inputs
from .ciscripts import ARCHES_DIR, BUILD_FIX, build_script, manifest_script
from .component import (
    GitLabRunnerArgs,
    GitLabRunnerRelease,
)
from .config import (
    ARM64_TOLERATION,
    BUILD_CONTAINER_SECURITY_CONTEXT,
    BUILDAH_CAPABILITIES,
    CLASS_VARIABLE,
    JOBS_SERVICE_ACCOUNT,
    OPENSHIFT_MANAGER_VALUES,
    OVERWRITE_KEYS,
    SECRET_NAME,
    ci_toleration,
    config_toml,
    helm_values,
    jobs_scc,
    jobs_scc_name,
    resource_overwrite_max,
    selectors_allowed,
    tolerations_allowed,
)

__all__ = [
    "ARCHES_DIR",
    "ARM64_TOLERATION",
    "BUILDAH_CAPABILITIES",
    "BUILD_CONTAINER_SECURITY_CONTEXT",
    "BUILD_FIX",
    "CLASS_VARIABLE",
    "COMPONENT_PATH",
    "DEFAULT_NAME",
    "JOBS_SERVICE_ACCOUNT",
    "MANIFEST_JOB",
    "OPENSHIFT_MANAGER_VALUES",
    "OVERWRITE_KEYS",
    "PUSH_SOURCES",
    "SECRET_NAME",
    "TOLERATION_VARIABLE",
    "GitLabRunnerArgs",
    "GitLabRunnerRelease",
    "build_job",
    "build_script",
    "ci_component",
    "ci_toleration",
    "component_inputs",
    "config_toml",
    "helm_values",
    "jobs_scc",
    "jobs_scc_name",
    "manifest_job",
    "manifest_script",
    "resource_overwrite_max",
    "selectors_allowed",
    "tolerations_allowed",
]
