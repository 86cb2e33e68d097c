"""巡回連絡 planner: year plans, day routes and official forms for community police beats.

The data flow is one module per concern::

    store (station file) -> policy (tiers, due set) -> roster (duty days) -> schedule (year plan)
    -> routes (day routes) -> forms / maps / sheets (print)

Every solver function takes model objects (:mod:`planner.model`) and returns model objects;
only :mod:`planner.store` and the printing modules touch files.  A user's mistake (a bad row,
a missing file) is an :class:`InputError`; every error of the planner's own is a
:class:`PlannerError`.
"""

from planner._errors import InputError, PlannerError, RowError

__all__ = ["InputError", "PlannerError", "RowError", "__version__"]
__version__ = "0.1.0"
