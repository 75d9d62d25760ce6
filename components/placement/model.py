"""Where a stack's pods run: the pools at idle, what lands on each node, where each arch's build
goes, and every pod that would have no node, with the reason the scheduler would give.

At idle each pool keeps its minimum nodes (the system pool its `minSize`), each node carries the
DaemonSets that tolerate it, and the pods that must run somewhere (the autoscaler first, then the
controllers, largest first) take the first node that fits, their preferred pool first. A pod that
fits no idle node makes the autoscaler add one where it fits, and that node then stays (a pod the
stack keeps running never lets it go): it is in the idle cost. Three cases are refused instead:
- the autoscaler itself with no idle node (nothing can start one for it);
- what belongs on the system pool (its taint tolerated) beyond what the pool holds at `minSize`;
- a pod with no pool at all.
Then each arch's build lands on a node of that arch's pools with room left, or on a new node of
the smallest type a pool may launch that holds it; and the autoscaler's totals leave room for one
build node of each arch above what runs at idle.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import limits
from ..settings import Settings
from .rules import Pod, Shape, mebibytes, millicores, unfit_by_rules, unfit_by_size
from .shapes import PoolNodes, pool_nodes, system_pool_key
from .workloads import build_pods, idle_pods


@dataclass
class _Node:
    pool: PoolNodes
    shape: Shape
    cpu_m: int
    memory_mib: int
    pods: int
    placed: list[str] = field(default_factory=list)
    kept_for: list[str] = field(default_factory=list)  # the pods it was started for (not the pool's minimum)


@dataclass(frozen=True)
class Row:
    """One pool at idle: its nodes, what runs there, and what it uses of what it has."""

    pool: str
    instance_type: str
    nodes: int
    pods: tuple[str, ...]
    cpu_used_m: int
    cpu_allocatable_m: int
    memory_used_mib: int
    memory_allocatable_mib: int
    kept_for: tuple[str, ...] = ()  # nodes beyond minSize, started for these pods and kept by them
    system: bool = False


@dataclass(frozen=True)
class Landing:
    """Where one pod of an arch's build lands."""

    arch: str
    pod: str
    pool: str
    instance_type: str
    started: bool  # a node started for it (else one kept at idle, with room)
    cpu_m: int
    memory_mib: int


@dataclass(frozen=True)
class Placement:
    rows: tuple[Row, ...]
    builds: dict[str, tuple[Landing, ...]]
    problems: tuple[str, ...]  # one line each, the config key first
    unsized: tuple[str, ...] = ()  # pools whose types the catalog cannot size: not checked
    external_workers: bool = False  # openshift: the controllers run on the cluster's own workers
    homes: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # idle pod -> pools with idle nodes that may hold it
    build_pools: dict[str, tuple[str, ...]] = field(default_factory=dict)  # arch -> pools its build fits

    @property
    def idle_nodes(self) -> dict[str, tuple[str, int]]:
        """pool -> (instance type, nodes at idle), the nodes kept for spilled pods included."""
        return {r.pool: (r.instance_type, r.nodes) for r in self.rows}


def _fresh(pool: PoolNodes, shape: Shape, daemonsets: Sequence[Pod]) -> _Node:
    node = _Node(pool, shape, shape.cpu_m, shape.memory_mib, shape.pods)
    for ds in daemonsets:
        if unfit_by_rules(ds, shape) is None:
            node.cpu_m -= ds.cpu_m
            node.memory_mib -= ds.memory_mib
            node.pods -= 1
    return node


def _fits(pod: Pod, node: _Node) -> str | None:
    return unfit_by_rules(pod, node.shape) or unfit_by_size(pod, node.cpu_m, node.memory_mib, node.pods, node.shape)


def _put(pod: Pod, node: _Node) -> None:
    node.cpu_m -= pod.cpu_m
    node.memory_mib -= pod.memory_mib
    node.pods -= 1
    node.placed.append(pod.name)


def _why_not(pod: Pod, pools: Sequence[PoolNodes], nodes: Sequence[_Node]) -> str:
    """Each pool considered, and why the pod cannot land there at idle."""
    out = []
    for pool in pools:
        own = [n for n in nodes if n.pool is pool]
        if not pool.shapes:
            continue
        if not own:
            reason = unfit_by_rules(pod, pool.shapes[0])
            out.append(f"pool {pool.name} ({reason})" if reason else f"pool {pool.name} (no node at idle: minSize 0)")
            continue
        reason = _fits(pod, own[0])
        out.append(f"pool {pool.name} ({own[0].shape.instance_type}: {reason or 'full'})")
    return "; ".join(out)


def _first_fit(pod: Pod, nodes: Sequence[_Node]) -> _Node | None:
    ordered = sorted(nodes, key=lambda n: n.pool.name != pod.prefers_pool)
    for node in ordered:
        if pod.one_per_node and pod.name in node.placed:
            continue
        if _fits(pod, node) is None:
            return node
    return None


def _pool_key(pool: PoolNodes, settings: Settings) -> str:
    return system_pool_key(settings) if pool.system else f"multiarch:nodePools[{pool.name}]"


def _place_idle(
    settings: Settings, pools: list[PoolNodes], daemonsets: list[Pod], idle: list[Pod], problems: list[str]
) -> list[_Node]:
    nodes = [_fresh(p, p.shapes[0], daemonsets) for p in pools if p.shapes for _ in range(p.idle_nodes)]
    system = next((p for p in pools if p.system), None)
    # GKE's and OpenShift's autoscalers run outside the cluster's nodes; EKS's is a pod of its own.
    external = settings.platform in ("gke", "openshift") and settings.autoscaling.enabled
    autoscaler_runs = external
    overflow: list[Pod] = []
    nowhere: dict[str, list[str]] = {}  # why (the pools considered) -> the pods with no node for it
    ordered = sorted(idle, key=lambda p: (p.role != "autoscaler", -p.cpu_m, -p.memory_mib, p.name))
    for pod in ordered:
        for _ in range(pod.replicas):
            node = _first_fit(pod, nodes)
            if node is not None:
                _put(pod, node)
                continue
            if pod.role == "autoscaler":
                problems.append(_autoscaler_stranded(settings, pod, pools, nodes))
                return nodes  # what else has no node follows from this: the autoscaler never runs
            if system is not None and system.shapes and unfit_by_rules(pod, system.shapes[0]) is None:
                overflow.append(pod)  # it belongs on the system pool, which is full
                continue
            if not (autoscaler_runs and _spill(pod, pools, nodes, daemonsets)):
                nowhere.setdefault(_why_not(pod, pools, nodes), []).append(pod.name)
                break
        if pod.role == "autoscaler" and any(pod.name in n.placed for n in nodes):
            autoscaler_runs = True
    first = next(p for p in pools if not p.system)
    for why, names_ in nowhere.items():
        who = f"the {names_[0]} pod has" if len(names_) == 1 else f"the {', '.join(names_)} pods have"
        problems.append(f"{_pool_key(first, settings)}.taints: {who} no node they can land on: {why}")
    if overflow and system is not None:
        problems.append(_system_overflow(settings, system, nodes, overflow))
    return nodes


def _autoscaler_stranded(settings: Settings, pod: Pod, pools: Sequence[PoolNodes], nodes: Sequence[_Node]) -> str:
    """The line for an autoscaler with no idle node, keyed by the root cause: a pool it may run on
    that is too small, else the taints that keep it off, else no pool keeping a node."""
    idle = [p for p in pools if p.idle_nodes and p.shapes]
    allowed = [p for p in idle if unfit_by_rules(pod, p.shapes[0]) is None]
    if allowed:
        key, fix = f"{_pool_key(allowed[0], settings)}.instanceType", "choose a larger instanceType"
    elif idle:
        key, fix = f"{_pool_key(idle[0], settings)}.taints", "keep a pool it tolerates at minSize >= 1"
    else:
        key, fix = f"multiarch:nodePools[{settings.node_pools[0].name}].minSize", "keep a pool at minSize >= 1"
    return (
        f"{key}: the {pod.name} pod has no node at idle: {_why_not(pod, pools, nodes)}; it is the autoscaler, so "
        f"nothing can start a node for it and no pool ever scales: {fix}"
    )


def _spill(pod: Pod, pools: Sequence[PoolNodes], nodes: list[_Node], daemonsets: Sequence[Pod]) -> bool:
    """The autoscaler starts a node of the first pool that may grow and holds the pod; it stays."""
    for pool in pools:
        if pool.system or sum(1 for n in nodes if n.pool is pool) >= pool.max_nodes:
            continue
        for shape in pool.shapes:
            node = _fresh(pool, shape, daemonsets)
            if _fits(pod, node) is None:
                _put(pod, node)
                node.kept_for.append(pod.name)
                nodes.append(node)
                return True
    return False


def _counted(names: Sequence[str]) -> str:
    counts: dict[str, int] = {}
    for n in names:
        counts[n] = counts.get(n, 0) + 1
    return ", ".join(f"{n} x{c}" if c > 1 else n for n, c in sorted(counts.items()))


def _system_overflow(settings: Settings, system: PoolNodes, nodes: Sequence[_Node], overflow: Sequence[Pod]) -> str:
    shape = system.shapes[0]
    own = [n for n in nodes if n.pool is system]
    held = [name for n in own for name in n.placed]
    need_cpu = sum(p.cpu_m for p in overflow)
    need_mib = sum(p.memory_mib for p in overflow)
    left = f"{millicores(sum(n.cpu_m for n in own))} CPU and {mebibytes(sum(n.memory_mib for n in own))}"
    nodes_text = f"{system.idle_nodes} node{'s' if system.idle_nodes != 1 else ''}"
    return (
        f"{system_pool_key(settings)}.instanceType: {shape.instance_type} at minSize {system.idle_nodes} cannot hold "
        f"what runs on the system pool: a node leaves {millicores(shape.cpu_m)} CPU and {mebibytes(shape.memory_mib)} "
        f"to pods{shape.where.replace(' and what runs there', '')}; its DaemonSets and {_counted(held)} leave "
        f"{left} on its {nodes_text}, and {_counted([p.name for p in overflow])} need {millicores(need_cpu)} CPU "
        f"and {mebibytes(need_mib)} more: they would spill onto a build pool and keep its node running; choose a "
        "larger instanceType or raise minSize"
    )


def _land(
    settings: Settings, pools: list[PoolNodes], nodes: list[_Node], daemonsets: list[Pod], problems: list[str]
) -> dict[str, tuple[Landing, ...]]:
    out: dict[str, tuple[Landing, ...]] = {}
    failed: dict[str, tuple[list[str], str]] = {}  # the config key -> (each pod's reasons, the way out)
    for a, pods in build_pods(settings).items():
        candidates = [p for p in pools if not p.system and p.arch == a]
        landed = []
        for pod in pods:
            kept = next((n for n in nodes if n.pool in candidates and _fits(pod, n) is None), None)
            if kept is not None:
                landed.append(
                    Landing(a, pod.name, kept.pool.name, kept.shape.instance_type, False, pod.cpu_m, pod.memory_mib)
                )
                continue
            fresh = [
                (shape.cpu_m, shape.memory_mib, pool.name, shape)
                for pool in candidates
                for shape in pool.shapes
                if _fits(pod, _fresh(pool, shape, daemonsets)) is None
            ]
            if fresh:
                _, _, pool_name, shape = min(fresh, key=lambda f: (f[0], f[1], f[2]))
                landed.append(Landing(a, pod.name, pool_name, shape.instance_type, True, pod.cpu_m, pod.memory_mib))
                continue
            key, part, fix = _no_build_node(a, pod, candidates, daemonsets)
            failed.setdefault(key, ([], fix))[0].append(part)
        out[a] = tuple(landed)
    for key, (parts, fix) in failed.items():
        problems.append(f"{key}: {_value_of(settings, key)}{'; '.join(parts)}; {fix}")
    return out


def _value_of(settings: Settings, key: str) -> str:
    """The value a build problem's key holds, as the line's first words (`16 leaves a build no node: `)."""
    r = settings.gitlab_runner
    if r is not None and key.startswith("multiarch:gitlabRunner.buildResources."):
        value = r.build_resources.memory_request if key.endswith("memoryRequest") else r.build_resources.cpu_request
        return f"{value} leaves a build no node: "
    return ""


def _no_build_node(
    a: str, pod: Pod, candidates: Sequence[PoolNodes], daemonsets: Sequence[Pod]
) -> tuple[str, str, str]:
    """(the config key, the pod and each type it was tried on, the way out)."""
    reasons, by_rules = [], None
    for pool in candidates:
        for shape in pool.shapes:
            why = _fits(pod, _fresh(pool, shape, daemonsets))
            reasons.append(f"pool {pool.name} {shape.instance_type}: {why}")
            if why and why.startswith("it does not tolerate") and by_rules is None:
                by_rules = pool
    what = f" ({pod.detail})" if pod.detail else ""
    if by_rules is not None:
        key = f"multiarch:nodePools[{by_rules.name}].taints"
        fix = "the build paths tolerate exactly their pools' taints: remove the taint or its pool"
    elif pod.source.startswith("multiarch:"):
        memory = any("memory" in r for r in reasons) and not any("CPU" in r for r in reasons)
        key = f"{pod.source}.{'memoryRequest' if memory else 'cpuRequest'}"
        fix = "lower it, or give the pools a larger instance type"
    else:
        key = f"multiarch:nodePools[{candidates[0].name}].instanceType"
        fix = "choose a larger instance type"
    return key, f"the {pod.name} pod{what} fits no node of arch {a}: {'; '.join(reasons)}", fix


def _check_totals(
    settings: Settings, nodes: Sequence[_Node], builds: dict[str, tuple[Landing, ...]], problems: list[str]
) -> None:
    """The autoscaler adds a node only within its totals: room for one build node of each arch on
    top of what runs at idle (OpenShift's ClusterAutoscaler also counts its 3 control plane nodes;
    GKE's node auto-provisioning counts every node, the system pool's too)."""
    a = settings.autoscaling
    classes = settings.platform == "gke" and a.uses_compute_classes
    counted = (settings.platform in ("eks", "openshift") and a.enabled and not a.uses_karpenter) or classes
    if not counted:
        return
    # One build node of each arch on top of idle: the node its build lands on (or its pool's type).
    started = [
        next((x for x in builds[arch_] if x.started), builds[arch_][0] if builds[arch_] else None) for arch_ in builds
    ]
    pools = {p.name: p for p in pool_nodes(settings)}
    extra = [
        (x.arch, next(s for s in pools[x.pool].shapes if s.instance_type == x.instance_type))
        for x in started
        if x is not None
    ]
    if not extra:
        return
    control = limits.OPENSHIFT_CONTROL_PLANE_NODES if settings.platform == "openshift" else 0
    idle_nodes = len(nodes) + control
    idle_cores = sum(n.shape.vcpu for n in nodes)
    idle_mib = sum(n.shape.memory_total_mib for n in nodes)
    need_nodes = idle_nodes + len(extra)
    need_cores = idle_cores + sum(s.vcpu for _, s in extra)
    need_mib = idle_mib + sum(s.memory_total_mib for _, s in extra)
    builds_text = " and ".join(
        f"one {s.instance_type} ({arch_}, {s.vcpu} vCPU, {s.memory_total_mib / 1024:g} GiB)" for arch_, s in extra
    )
    at = "multiarch:autoscaling.limits"
    knob = (
        "GKE's node auto-provisioning limits, which count every node, the system pool's too" if classes
        else "OpenShift's ClusterAutoscaler resourceLimits, which count the 3 control plane nodes" if control
        else "the Cluster Autoscaler's --max-nodes-total, --cores-total and --memory-total"
    )  # fmt: skip
    idle_text = f"the {idle_nodes} node{'s' if idle_nodes != 1 else ''} at idle"
    have = "has" if idle_nodes == 1 else "have"
    if not classes and need_nodes > a.limits.max_nodes_total:
        problems.append(
            f"{at}.maxNodesTotal: {a.limits.max_nodes_total} leaves no room for one build node of each arch: "
            f"{idle_text}, and {builds_text} make {need_nodes}; raise it to at least {need_nodes} ({knob})"
        )
    if need_cores > a.limits.cores.max:
        problems.append(
            f"{at}.cores.max: {a.limits.cores.max} leaves no room for one build node of each arch: {idle_text} "
            f"{have} {idle_cores} vCPU, and {builds_text} make {need_cores}; raise it to at least {need_cores} ({knob})"
        )
    if need_mib > a.limits.memory_gib.max * 1024:
        gib = -(-need_mib // 1024)
        problems.append(
            f"{at}.memoryGib.max: {a.limits.memory_gib.max} leaves no room for one build node of each arch: "
            f"{idle_text} {have} {idle_mib / 1024:g} GiB, and {builds_text} make {need_mib / 1024:g}; raise it to at "
            f"least {gib} ({knob})"
        )


def evaluate(settings: Settings) -> Placement:
    pools = pool_nodes(settings)
    daemonsets, idle = idle_pods(settings)
    problems: list[str] = []
    nodes = _place_idle(settings, pools, daemonsets, idle, problems)
    builds = _land(settings, pools, nodes, daemonsets, problems)
    _check_totals(settings, nodes, builds, problems)
    rows = []
    for pool in pools:
        own = [n for n in nodes if n.pool is pool]
        shape = own[0].shape if own else (pool.shapes[0] if pool.shapes else None)
        rows.append(
            Row(
                pool.name, shape.instance_type if shape else "?", len(own),
                tuple(sorted(name for n in own for name in n.placed)),
                sum(n.shape.cpu_m - n.cpu_m for n in own), sum(n.shape.cpu_m for n in own),
                sum(n.shape.memory_mib - n.memory_mib for n in own), sum(n.shape.memory_mib for n in own),
                tuple(name for n in own for name in n.kept_for), pool.system,
            )
        )  # fmt: skip
    unsized = tuple(f"{p.name} ({', '.join(p.unsized)})" for p in pools if p.unsized)
    return Placement(
        tuple(rows), builds, tuple(dict.fromkeys(problems)), unsized, settings.platform == "openshift",
        _homes(pools, daemonsets, idle), _build_pools(settings, pools, daemonsets),
    )  # fmt: skip


def _homes(pools: Sequence[PoolNodes], daemonsets: Sequence[Pod], idle: Sequence[Pod]) -> dict[str, tuple[str, ...]]:
    """Each pod that runs at idle, and the pools keeping nodes that could hold it alone: where it
    can go when its node goes (the change review's question)."""
    out = {}
    for pod in idle:
        homes = [
            p.name
            for p in pools
            if p.idle_nodes and p.shapes and _fits(pod, _fresh(p, p.shapes[0], daemonsets)) is None
        ]
        out[pod.name] = tuple(homes)
    return out


def _build_pools(
    settings: Settings, pools: Sequence[PoolNodes], daemonsets: Sequence[Pod]
) -> dict[str, tuple[str, ...]]:
    """Each arch, and the pools a node of which can hold its build."""
    out = {}
    for a, pods in build_pods(settings).items():
        out[a] = tuple(
            p.name
            for p in pools
            if not p.system
            and p.arch == a
            and any(all(_fits(pod, _fresh(p, s, daemonsets)) is None for pod in pods) for s in p.shapes)
        )
    return out
