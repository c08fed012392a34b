"""GeoJSON (WGS84) geometry helpers: parse, validate, measure in square metres."""

from __future__ import annotations

import math
from typing import Any

import shapely
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry
from shapely.validation import explain_validity

EARTH_RADIUS_M = 6_371_008.8


class GeometryError(ValueError):
    """A boundary that cannot be used; the message says why, in Chinese."""


def parse_polygon(geojson: Any) -> BaseGeometry:
    """Parse a GeoJSON Polygon/MultiPolygon into a valid shapely geometry or raise GeometryError."""
    if not isinstance(geojson, dict) or geojson.get("type") not in {"Polygon", "MultiPolygon"}:
        raise GeometryError("边界必须是 GeoJSON 的 Polygon 或 MultiPolygon")
    try:
        rings = geojson["coordinates"]
        polys = [rings] if geojson["type"] == "Polygon" else rings
        for poly in polys:
            for ring in poly:
                if len(ring) < 4:
                    raise GeometryError("边界的环至少需要4个点（首尾相同）")
                if list(ring[0]) != list(ring[-1]):
                    raise GeometryError("边界的环没有闭合（首尾坐标不同）")
                for pt in ring:
                    lon, lat = float(pt[0]), float(pt[1])
                    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                        raise GeometryError(f"坐标超出范围：{lon}, {lat}")
        geom = shape(geojson)
    except GeometryError:
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise GeometryError(f"边界格式错误：{exc}") from exc
    if geom.is_empty:
        raise GeometryError("边界为空")
    if not geom.is_valid:
        reason = explain_validity(geom)
        if "Self-intersection" in reason:
            raise GeometryError(f"边界自相交（{reason}）")
        raise GeometryError(f"边界无效（{reason}）")
    return geom


def _scale(lat: float) -> tuple[float, float]:
    """Metres per degree of longitude and latitude near a latitude."""
    m_per_deg = math.pi * EARTH_RADIUS_M / 180
    return m_per_deg * math.cos(math.radians(lat)), m_per_deg


def area_m2(geom: BaseGeometry) -> float:
    """Approximate area in m² (local equirectangular; fine at county scale)."""
    if geom.is_empty:
        return 0.0
    sx, sy = _scale(geom.centroid.y)
    return geom.area * sx * sy


def to_geojson(geom: BaseGeometry) -> dict:
    return shapely.geometry.mapping(geom) if geom is not None else None  # type: ignore[return-value]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def check_lat_lon(lat: Any, lon: Any) -> tuple[float, float]:
    try:
        lat_f, lon_f = float(lat), float(lon)
    except (TypeError, ValueError) as exc:
        raise GeometryError("经纬度必须是数字") from exc
    if not (-90 <= lat_f <= 90) or not (-180 <= lon_f <= 180):
        raise GeometryError(f"经纬度超出范围：纬度{lat_f}，经度{lon_f}")
    return lat_f, lon_f
