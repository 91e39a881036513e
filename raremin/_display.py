"""Rich HTML display in Jupyter for raremin objects (private)."""

from __future__ import annotations

import html
from typing import Any


def _table(frame: Any, floatfmt: str = "{:,.4g}") -> str:
    return frame.to_html(index=False, float_format=floatfmt.format, na_rep="", border=0)


def _card(title: str, lines: list[str], body: str = "") -> str:
    items = "".join(f"<li>{line}</li>" for line in lines)
    return (
        f"<div class='raremin'><strong>{html.escape(title)}</strong>"
        f"<ul style='margin:0.2em 0'>{items}</ul>{body}</div>"
    )


def zone_html(zone: Any) -> str:
    lines = [
        f"footprint {zone.area_m2 / 1e6:,.3f} km&sup2;, from {zone.bottom_m:,.0f} to "
        f"{zone.top_m:,.0f} m ({zone.thickness_m:,.0f} m)",
        f"density {zone.density_t_m3:g} t/m&sup3;; tonnage {zone.tonnage_t / 1e6:,.1f} Mt",
    ]
    if zone.crs is not None:
        lines.append(f"CRS {html.escape(zone.crs.name)}")
    body = _table(zone.contained()) if zone.grades else ""
    return _card(f"Zone {zone.name}", lines, body)


def deposit_html(deposit: Any) -> str:
    lines = [
        f"{len(deposit)} zone(s); {deposit.tonnage_t / 1e6:,.1f} Mt in total",
        f"CRS {html.escape(deposit.crs.name)} (EPSG:{deposit.crs.to_epsg()})",
    ]
    if deposit.notes:
        lines.append(html.escape(deposit.notes))
    return _card(f"Deposit {deposit.name}", lines, _table(deposit.summary()))


def block_model_html(model: Any) -> str:
    grid = model.grid
    lines = [
        f"grid {' x '.join(str(n) for n in grid.shape)} blocks of "
        f"{' x '.join(f'{s:g}' for s in grid.block_size)} m",
        f"{model.n_parcels:,} block parcels in {len(model.zone_names)} zone(s); "
        f"arrays: {', '.join(sorted(model.arrays)) or 'none'}",
    ]
    return _card("Block model", lines, _table(model.summary()))


def grade_tonnage_html(result: Any) -> str:
    frame = result.to_frame()
    lines = [
        f"cut-off on {html.escape(result.grade_name)} ({html.escape(result.unit)}, "
        f"{html.escape(result.basis)} basis); {result.cutoffs.size} cut-offs",
    ]
    return _card("Grade-tonnage", lines, _table(frame.head(60)))
