"""Small geometry helpers for GeoJSON boundaries and point distances.

These are deliberately simple: planar (lon/lat treated as x/y) centroids are good enough to place a
label or a dot on a dashboard map of one city; they are not survey-grade.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), in kilometres."""

Ring = Sequence[Sequence[float]]


def _ring_area_and_moment(ring: Ring) -> tuple[float, float, float]:
    """Return the signed area of a ring and its first moments (shoelace formula).

    The centroid of the ring is ``(mx / area, my / area)`` when ``area`` is not zero.
    """
    area2 = 0.0
    mx = 0.0
    my = 0.0
    count = len(ring)
    for index in range(count):
        x0, y0 = float(ring[index][0]), float(ring[index][1])
        x1, y1 = float(ring[(index + 1) % count][0]), float(ring[(index + 1) % count][1])
        cross = x0 * y1 - x1 * y0
        area2 += cross
        mx += (x0 + x1) * cross
        my += (y0 + y1) * cross
    area = area2 / 2.0
    return area, mx / 6.0, my / 6.0


def _polygons(geometry: Mapping[str, Any]) -> list[Sequence[Ring]]:
    kind = geometry.get("type")
    coordinates = geometry.get("coordinates")
    if kind == "Polygon":
        return [coordinates] if coordinates else []
    if kind == "MultiPolygon":
        return [polygon for polygon in coordinates or [] if polygon]
    raise ValueError(f"Unsupported geometry type for a centroid: {kind!r}")


def polygon_centroid(geometry: Mapping[str, Any]) -> tuple[float, float]:
    """Area-weighted planar centroid ``(lon, lat)`` of a GeoJSON Polygon or MultiPolygon.

    The first ring of each polygon is its outer boundary and any further rings are holes, whatever
    their winding order. If the total area is zero (a degenerate shape) the mean of the outer-ring
    vertices is returned instead. Raises ``ValueError`` for other geometry types or no coordinates.
    """
    total_area = 0.0
    total_mx = 0.0
    total_my = 0.0
    vertices: list[tuple[float, float]] = []
    for polygon in _polygons(geometry):
        for ring_index, ring in enumerate(polygon):
            if len(ring) < 3:
                continue
            area, mx, my = _ring_area_and_moment(ring)
            # Outer rings add area, holes subtract it, regardless of orientation in the file.
            sign = 1.0 if ring_index == 0 else -1.0
            if area < 0:
                area, mx, my = -area, -mx, -my
            total_area += sign * area
            total_mx += sign * mx
            total_my += sign * my
            if ring_index == 0:
                vertices.extend((float(point[0]), float(point[1])) for point in ring)
    if not vertices:
        raise ValueError("Geometry has no polygon coordinates")
    if abs(total_area) < 1e-15:
        return (
            sum(x for x, _ in vertices) / len(vertices),
            sum(y for _, y in vertices) / len(vertices),
        )
    return total_mx / total_area, total_my / total_area


def haversine_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance in kilometres between two points given in decimal degrees."""
    phi1 = math.radians(lat1)
    phi2 = math.radians(lat2)
    d_phi = phi2 - phi1
    d_lambda = math.radians(lon2 - lon1)
    a = math.sin(d_phi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(d_lambda / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))
