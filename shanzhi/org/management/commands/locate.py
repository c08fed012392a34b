"""Print the micro-grid under a point and its chain of units."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError, CommandParser

from shanzhi.lib.geometry import GeometryError, check_lat_lon
from shanzhi.org.locate import locate

OUTSIDE = "该坐标不在任何网格内"


class Command(BaseCommand):
    help = ("查询坐标所在的微网格及其上级（纬度 经度，WGS84）。"
            " Find the micro-grid under a point (LAT LON, WGS84); exit status 1 when it is outside every grid.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("lat", help="latitude, e.g. 30.841")
        parser.add_argument("lon", help="longitude, e.g. 120.925")

    def handle(self, *args, lat: str, lon: str, **opts) -> None:
        try:
            lat_f, lon_f = check_lat_lon(lat, lon)
        except GeometryError as exc:
            raise CommandError(str(exc)) from exc
        found = locate(lat_f, lon_f)
        if found is None:
            raise CommandError(f"{OUTSIDE}（纬度{lat_f}，经度{lon_f}）")
        mg = found.micro_grid
        self.stdout.write(f"{mg.code} {mg.name}")
        self.stdout.write(" > ".join(f"{u.name}（{u.code}）" for u in found.chain))
