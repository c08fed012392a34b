"""新联村's election, counted (election day, the tallies, the result), for the URL walk: grid B's worker, the
other town's resident and an anonymous visitor must get for its pages what a missing election gets."""

from __future__ import annotations

from shanzhi.elections import results
from shanzhi.elections.tests.day_fixtures import build_day, standard_tallies, vote


def make(c) -> dict:
    d = build_day(c)
    vote(d, [0, 1, 3, 4, 5, 6], [2, 7])
    standard_tallies(d)
    results.compute(actor=d.committee_user, election=d.election)
    return {"election": d.election, "station": d.s1}


def ids(objects: dict) -> dict[str, dict[str, list]]:
    pk = {"pk": [objects["election"].pk]}
    out: dict[str, dict[str, list]] = {f"elections:{name}": pk for name in (
        "day", "day_turnout", "day_open", "day_close", "tally", "results", "results_compute", "results_certify",
        "result")}
    out["elections:checkin"] = {"station": [objects["station"].pk]}
    out["elections:tally_station"] = {**pk, "station": [objects["station"].pk]}
    return out
