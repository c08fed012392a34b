"""The candidates', stations' and proxies' objects for the URL walk (tests_security/test_url_walk.py): an
election for 新联村 (grid A's village) with a station, a nominee and an entrustment. Every URL of this part
names the election (`<int:pk>`); the objects inside it travel in the form."""

from __future__ import annotations

from shanzhi.elections import candidates as cand
from shanzhi.elections import proxies, stations
from shanzhi.elections.candidates import NominationLine
from shanzhi.elections.models import CommitteeRole, StationKind
from shanzhi.elections.tests.candidates_setup import NOW, build
from shanzhi.lib import clock

NAMES = ("candidates", "candidate_tally", "candidates_public", "candidate_mine", "stations", "proxies",
         "proxies_public")


def make(c) -> dict:
    with clock.frozen(NOW):
        s = build(c, villagers=0)
        central = stations.station_create(actor=None, election=s.election, kind=StationKind.CENTRAL, name="中心会场")
        cand.nomination_tally_enter(actor=None, station=central, issued=3, returned=3, valid=3, invalid=0,
                                    lines=[NominationLine(s.voters[0], CommitteeRole.CHAIR, 2)])
        cand.nominations_count(actor=None, election=s.election)
        proxies.proxy_record(actor=None, election=s.election, grantor=s.voters[1], proxy=s.voters[2], reason="外出")
    return {"election": s.election}


def ids(x: dict) -> dict[str, dict[str, list]]:
    return {f"elections:{name}": {"pk": [x["election"].pk]} for name in NAMES}
