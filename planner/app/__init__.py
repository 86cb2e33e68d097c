"""The application layer: one module per use case, called alike by the CLI, the demo, the
notebooks and the benchmarks.

Each use case takes typed inputs (a station file or PostGIS URL, folders, parameters), does the
work through the domain and solver modules, writes its files, and returns a result dataclass:
what was written, the figures, and the warnings as data (:class:`planner.app.common.Line`).
Nothing here prints; long work reports progress through an optional callback.

==================  ==========================================================================
module              use cases
==================  ==========================================================================
``common``          open a station under its policy, the files beside a plan.csv, the year
``beats``           many station files cut into one task per beat (run by the executor)
``plan``            ``planner plan``: the year plan of every beat, written per station
``replan``          ``planner replan``: the rest of the year from a date (with front-loading)
``verify``          ``planner verify``: a plan file checked against every rule, scored
``route``           ``planner route``: a duty day's route sheets
``progress``        ``planner progress``: the form's result rows and the monthly page
``opinions``        ``planner opinions``: the month's opinions and complaints
``records``         ``record``, ``approve``, ``review``, ``guide``, ``exempt``, ``purge``,
                    ``grant``: what officers and supervisors put on record
``handover``        ``planner handover``: a beat changing hands
``campaign``        ``planner campaign``: every target in a circle within N days
``compare``         ``planner scenario compare``: scenarios side by side
``simulate``        ``planner simulate``: a year played door by door
``registers``       ``import``, ``export``, ``geocode``, ``info``: registers in and out
``demo``            ``planner demo``: the demo station through every use case above
==================  ==========================================================================
"""
