"""Where can this pod run? The placement model: the scheduler's rules (`rules.py`) over the nodes a
stack's pools can have (`shapes.py`, sized from `catalog/nodes.py`) and every pod the stack causes
(`workloads.py`); `model.py` places them at idle, lands each arch's build, and names every pod that
would have no node. Pure: pools and pods in, fits and reasons out. The plan, the cost view, the
component's validation and the change review all call `evaluate`; none restates it.
"""

from .model import Landing, Placement, Row, evaluate
from .rules import Expression, Pod, Shape, Taint, tolerated, unfit_by_rules, unfit_by_size
from .shapes import PoolNodes, pool_nodes

__all__ = [
    "Expression",
    "Landing",
    "Placement",
    "Pod",
    "PoolNodes",
    "Row",
    "Shape",
    "Taint",
    "evaluate",
    "pool_nodes",
    "tolerated",
    "unfit_by_rules",
    "unfit_by_size",
]
