"""Routing engines behind one seam (:mod:`planner.routing.engines`).

The planner's routes (:mod:`planner.routes`) describe a routing problem once, as an integer
instance, and :func:`planner.routing.engines.solve` hands it to OR-Tools routing, PyVRP or LKH
(elkai).  Nothing here does I/O.
"""
