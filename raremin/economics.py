"""
Prices and values: dated, sourced oxide prices, basket prices, block values and cut-offs.

Every figure this module returns says which prices it used, of which date and from
which source: the result objects carry ``price_dates`` and ``price_sources`` and print
them.

* :class:`PriceTable`, :func:`default_prices`, :func:`read_prices`: prices of the
  rare-earth reporting oxides in USD per kg of oxide, one row per oxide, each with
  its date and source. The defaults are the yearly averages of the USGS *Mineral
  Commodity Summaries 2025* (six oxides); every other oxide is missing (NaN) until
  you set it with :meth:`PriceTable.with_prices` or read your own table.
* :func:`basket_price`: the value of 1 kg of a deposit's own oxide mix (TREO, MREO...),
  with per-oxide contributions.
* :func:`in_situ_value`, :func:`net_smelter_return`: value per tonne of ore of every
  block or sample, vectorised over grade arrays named like raremin's grade columns
  (``nd2o3_pct``, ``pr_ppm``).
* :func:`equivalent_grade`: NdPr-, Nd2O3- or TREO-equivalent grades with the checks of
  the JORC Code (2012), Clause 50.
* :func:`breakeven_cutoff`, :func:`marginal_cutoff`: cut-off grades from costs, price
  and recovery.

Prices are on oxide basis (per kg of the reporting oxide, ``Nd2O3``, ``Pr6O11``...):
element-basis grades are converted with :func:`raremin.chemistry.oxide_factor`.

Examples
--------
>>> from raremin.economics import basket_price, default_prices
>>> prices = default_prices()
>>> prices.price("Nd2O3"), prices.date("Nd2O3")
(56.0, '2024')
>>> mix = {"Nd2O3": 0.5, "CeO2": 0.3, "La2O3": 0.2}
>>> round(basket_price(mix, prices).value_usd_kg, 2)
28.5
"""

from __future__ import annotations

import datetime as _dt
import html
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from os import PathLike
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ._validation import as_float_array, check_grades
from ._validation import check_basis as _check_basis
from .chemistry import ELEMENTS, OXIDE_FACTORS, RARE_EARTHS, element, parse_grade_column
from .errors import ChemistryError, InputError
from .units import convert_grade, grade_factor, grade_unit, unit_suffix

__all__ = [
    "MCS2025_SOURCE",
    "PRICE_COLUMNS",
    "BasketPrice",
    "BlockValue",
    "CutoffGrade",
    "EquivalentGrade",
    "PriceTable",
    "basket_price",
    "breakeven_cutoff",
    "default_prices",
    "equivalent_grade",
    "in_situ_value",
    "marginal_cutoff",
    "net_smelter_return",
    "read_prices",
]

#: Columns of a price table (the oxide formula is the index).
PRICE_COLUMNS: tuple[str, ...] = ("element", "price_usd_kg", "purity", "date", "source", "note")

#: Citation of the default prices.
MCS2025_SOURCE: str = (
    "U.S. Geological Survey (2025), Mineral Commodity Summaries 2025, Rare Earths "
    "(D.J. Cordier), p. 144, Salient Statistics, 'Price, average, dollars per kilogram' "
    "(USGS source: Argus Media Group, Argus Non-Ferrous Markets)"
)

# USGS MCS 2025, Rare Earths, p. 144, "Price, average, dollars per kilogram" (yearly
# averages, whole USD; 2024 estimated). Read from the published chapter text; the
# reporting oxide of each row is raremin's (the chapter names "terbium oxide" etc.).
_MCS2025_YEARS: tuple[int, ...] = (2020, 2021, 2022, 2023, 2024)
_MCS2025_PRICES: dict[str, tuple[str, tuple[float, ...]]] = {
    "CeO2": ("99.5% minimum", (2, 2, 1, 1, 1)),
    "Dy2O3": ("99.5% minimum", (261, 410, 382, 330, 260)),
    "Eu2O3": ("99.99% minimum", (31, 31, 30, 27, 27)),
    "La2O3": ("99.5% minimum", (2, 2, 1, 1, 1)),
    "Nd2O3": ("99.5% minimum", (49, 98, 134, 78, 56)),
    "Tb4O7": ("99.99% minimum", (670, 1346, 2051, 1298, 810)),
}

_SHARE_TOL = 1e-3
_KG_PER_T = 1000.0


# ------------------------------------------------------------------------------ helpers


def _fmt(x: float) -> str:
    """3-4 significant figures, thousands separated."""
    if x is None or not np.isfinite(x):
        return "nan"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def _symbol(key: Any, what: str) -> str:
    """Element symbol of a key given as an oxide formula, a symbol or a name."""
    try:
        return element(key).symbol
    except ChemistryError:
        raise InputError(
            f"{what}: unknown rare-earth oxide {key!r}; use a reporting oxide such as "
            f"'Nd2O3', 'Pr6O11', 'CeO2' or 'Tb4O7' (or the element symbol 'Nd')"
        ) from None


def _oxide(key: Any, what: str) -> str:
    return RARE_EARTHS[_symbol(key, what)].oxide_formula


def _as_date(value: Any, what: str) -> str:
    if isinstance(value, (pd.Timestamp, _dt.datetime)):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise InputError(
        f"{what}: a price needs a date (a year such as 2024, or '2025-06-30'); got {value!r}"
    )


def _as_source(value: Any, what: str) -> str:
    if isinstance(value, str) and value.strip():
        return value.strip()
    raise InputError(
        f"{what}: a price needs a source (the document or quote it comes from); got {value!r}"
    )


def _check_fraction(value: Any, name: str, *, low_open: bool = False) -> np.ndarray:
    arr = as_float_array(value, name)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr) | (arr < 0) | (arr > 1) | ((arr == 0) if low_open else False)
    if np.any(bad):
        first = arr[bad].flat[0] if arr.ndim else float(arr)
        rng = "(0, 1]" if low_open else "[0, 1]"
        raise InputError(
            f"{name} = {first} is outside {rng}; give it as a fraction (0.85 for 85 %)"
        )
    return arr


def _check_cost(value: Any, name: str) -> np.ndarray:
    arr = as_float_array(value, name)
    with np.errstate(invalid="ignore"):
        bad = ~np.isfinite(arr) | (arr < 0)
    if np.any(bad):
        first = arr[bad].flat[0] if arr.ndim else float(arr)
        raise InputError(f"{name} = {first} must be a finite number >= 0")
    return arr


def _royalty(royalty_pct: Any) -> float:
    k = float(as_float_array(royalty_pct, "royalty_pct"))
    if not (np.isfinite(k) and 0 <= k < 100):
        raise InputError(f"royalty_pct = {royalty_pct!r} must be in [0, 100) (per cent)")
    return k / 100.0


def _per_component(value: Any, oxides: Sequence[str], name: str, kind: str) -> np.ndarray:
    """One value per component from a number or a mapping keyed by oxide/element."""
    if value is None:
        raise InputError(
            f"{name} is required: give a number for every component or a mapping such as "
            f"{{'Nd2O3': ...}} covering {', '.join(oxides)}"
        )
    if isinstance(value, pd.Series):
        value = value.to_dict()
    if isinstance(value, Mapping):
        given: dict[str, Any] = {}
        for key, v in value.items():
            ox = _oxide(key, name)
            if ox in given:
                raise InputError(f"{name} gives {ox} twice (keys naming the same oxide)")
            given[ox] = v
        missing = [ox for ox in oxides if ox not in given]
        if missing:
            raise InputError(
                f"{name} has no value for {', '.join(missing)}; give one for every component"
            )
        raw = np.array([float(as_float_array(given[ox], name)) for ox in oxides])
    else:
        raw = np.full(len(oxides), float(as_float_array(value, name)))
    if kind == "fraction":
        for ox, v in zip(oxides, raw, strict=True):
            _check_fraction(v, f"{name} of {ox}")
    else:
        for ox, v in zip(oxides, raw, strict=True):
            _check_cost(v, f"{name} of {ox}")
    return raw


# --------------------------------------------------------------------------- PriceTable


@dataclass(frozen=True, eq=False, repr=False)
class PriceTable:
    """
    Prices of rare-earth reporting oxides in USD per kg of oxide, each with a date and a source.

    Build one with :func:`default_prices`, :meth:`from_frame`, :meth:`from_mapping` or
    :func:`read_prices`; change prices with :meth:`with_prices`, which returns a new
    table (a table never changes).

    Parameters
    ----------
    frame : pandas.DataFrame
        Indexed by oxide formula (``"Nd2O3"``), with columns :data:`PRICE_COLUMNS`:
        ``element`` (symbol), ``price_usd_kg`` (Units: USD/kg of oxide; NaN = no
        price), ``purity`` (text, may be empty), ``date`` (text: a year or an ISO
        date), ``source`` (text), ``note`` (text). Use :meth:`from_frame` to build
        one from looser input.

    Raises
    ------
    InputError
        An unknown or repeated oxide, a negative or infinite price, or a row without
        a date or a source.

    Examples
    --------
    >>> from raremin.economics import PriceTable
    >>> t = PriceTable.from_mapping({"Nd2O3": 60.0, "Pr6O11": 62.0}, date="2025-06-30",
    ...                             source="Company study, Table 19.1")
    >>> t.price("pr6o11")
    62.0
    >>> t.oxides
    ('Nd2O3', 'Pr6O11')
    """

    frame: pd.DataFrame

    def __post_init__(self) -> None:
        df = self.frame
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"PriceTable needs a DataFrame; got {type(df).__name__}")
        absent = [c for c in PRICE_COLUMNS if c not in df.columns]
        if absent:
            raise InputError(
                f"price table is missing column(s) {absent}; use PriceTable.from_frame()"
            )
        oxides = [_oxide(o, "price table") for o in df.index]
        repeated = sorted({o for o in oxides if oxides.count(o) > 1})
        if repeated:
            raise InputError(f"price table lists {', '.join(repeated)} more than once")
        price = as_float_array(df["price_usd_kg"].to_numpy(), "price_usd_kg")
        for ox, p, d, s in zip(oxides, price, df["date"], df["source"], strict=True):
            if np.isinf(p) or p < 0:
                raise InputError(
                    f"price of {ox} = {p} USD/kg is invalid; prices must be finite and >= 0 "
                    f"(leave it empty/NaN when unknown)"
                )
            _as_date(d, f"price of {ox}")
            _as_source(s, f"price of {ox}")
        out = pd.DataFrame(
            {
                "element": [RARE_EARTHS[element(o).symbol].symbol for o in oxides],
                "price_usd_kg": price,
                "purity": ["" if _isna(v) else str(v) for v in df["purity"]],
                "date": [_as_date(d, ox) for d, ox in zip(df["date"], oxides, strict=True)],
                "source": [str(s).strip() for s in df["source"]],
                "note": ["" if _isna(v) else str(v) for v in df["note"]],
            },
            index=pd.Index(oxides, name="oxide"),
        )
        object.__setattr__(self, "frame", out)

    # ---------------------------------------------------------------- constructors

    @classmethod
    def from_frame(cls, df: pd.DataFrame) -> PriceTable:
        """
        Build a table from a DataFrame (columns ``oxide``, ``price_usd_kg``, ``date``, ``source``).

        Parameters
        ----------
        df : pandas.DataFrame
            One row per oxide. The oxide (formula, symbol or name; column ``oxide``
            or the index) and the price (``price_usd_kg``, Units: USD/kg of oxide)
            are required, and so are ``date`` and ``source`` on every row. Optional:
            ``purity``, ``note``, ``element`` (checked against the oxide).

        Returns
        -------
        PriceTable

        Raises
        ------
        InputError
            A missing column, an unknown oxide, a bad price, a row without date or
            source, or an ``element`` that does not match the oxide.

        Examples
        --------
        >>> import pandas as pd
        >>> from raremin.economics import PriceTable
        >>> df = pd.DataFrame({"oxide": ["Nd2O3", "Dy2O3"], "price_usd_kg": [60.0, 250.0],
        ...                    "date": ["2025", "2025"], "source": ["quote A", "quote A"]})
        >>> PriceTable.from_frame(df).price("Dy2O3")
        250.0
        """
        if not isinstance(df, pd.DataFrame):
            raise InputError(f"from_frame needs a DataFrame; got {type(df).__name__}")
        data = df.copy()
        data.columns = [str(c).strip().lower() for c in data.columns]
        if "oxide" not in data.columns:
            data = data.reset_index().rename(columns={data.index.name or "index": "oxide"})
        required = ["oxide", "price_usd_kg", "date", "source"]
        absent = [c for c in required if c not in data.columns]
        if absent:
            raise InputError(
                f"price table needs columns {required}; missing {absent} "
                f"(columns seen: {list(df.columns)})"
            )
        oxides = [_oxide(o, "price table") for o in data["oxide"]]
        if "element" in data.columns:
            for ox, el in zip(oxides, data["element"], strict=True):
                if not _isna(el) and _symbol(el, "price table") != element(ox).symbol:
                    raise InputError(
                        f"price table row {ox} names element {el!r}; the element of {ox} is "
                        f"{element(ox).symbol}"
                    )
        n = len(data)
        frame = pd.DataFrame(
            {
                "element": [element(o).symbol for o in oxides],
                "price_usd_kg": pd.to_numeric(data["price_usd_kg"], errors="coerce").to_numpy()
                if n else np.empty(0),
                "purity": data["purity"].to_numpy() if "purity" in data else [""] * n,
                "date": data["date"].to_numpy(),
                "source": data["source"].to_numpy(),
                "note": data["note"].to_numpy() if "note" in data else [""] * n,
            },
            index=pd.Index(oxides, name="oxide"),
        )
        bad = pd.to_numeric(data["price_usd_kg"], errors="coerce").isna() & data[
            "price_usd_kg"
        ].notna() & (data["price_usd_kg"].astype(str).str.strip() != "")
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"price of {oxides[row]} = {data['price_usd_kg'].iloc[row]!r} is not a number"
            )
        return cls(frame)

    @classmethod
    def from_mapping(
        cls,
        prices: Mapping[str, float],
        *,
        date: Any,
        source: str,
        purity: str = "",
        note: str = "",
    ) -> PriceTable:
        """
        Build a table from ``{oxide: USD/kg}`` with one date and one source for all rows.

        Parameters
        ----------
        prices : mapping
            Oxide (formula, symbol or name) -> price. Units: USD/kg of oxide.
        date : str, int or datetime.date
            Date of the prices: a year (2025) or a date (``"2025-06-30"``).
        source : str
            Where the prices come from.
        purity, note : str, optional
            Stated on every row.

        Returns
        -------
        PriceTable

        Examples
        --------
        >>> from raremin.economics import PriceTable
        >>> PriceTable.from_mapping({"Nd": 60.0}, date=2025, source="quote").oxides
        ('Nd2O3',)
        """
        empty = pd.DataFrame(columns=list(PRICE_COLUMNS), index=pd.Index([], name="oxide"))
        return cls(empty).with_prices(prices, date=date, source=source, purity=purity,
                                      note=note)

    def with_prices(
        self,
        prices: Mapping[str, float],
        *,
        date: Any,
        source: str,
        purity: str | None = None,
        note: str = "",
    ) -> PriceTable:
        """
        Return a new table with some prices set, each carrying the new date and source.

        Parameters
        ----------
        prices : mapping
            Oxide (formula, symbol or name) -> price. Units: USD/kg of oxide. Oxides
            not yet in the table are added.
        date : str, int or datetime.date
            Date of these prices (required).
        source : str
            Source of these prices (required).
        purity : str, optional
            Purity/form of the priced product; by default the row keeps its purity
            (empty for a new row).
        note : str, optional
            Replaces the note of the rows set.

        Returns
        -------
        PriceTable
            A new table; rows not named keep their price, date and source.

        Raises
        ------
        InputError
            An unknown oxide, a negative or non-finite price, no date or no source.

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> t = default_prices().with_prices({"Pr6O11": 65.0}, date="2025-06-30",
        ...                                  source="my quote")
        >>> t.price("Pr6O11"), t.date("Pr6O11"), t.source("Pr6O11")
        (65.0, '2025-06-30', 'my quote')
        >>> t.mixed_dates
        True
        """
        if isinstance(prices, pd.Series):
            prices = prices.to_dict()
        if not isinstance(prices, Mapping):
            raise InputError(f"prices must be a mapping oxide -> USD/kg; got {prices!r}")
        d = _as_date(date, "with_prices")
        s = _as_source(source, "with_prices")
        records = {ox: dict(row) for ox, row in self.frame.iterrows()}
        for key, value in prices.items():
            ox = _oxide(key, "with_prices")
            p = float(as_float_array(value, f"price of {ox}"))
            if not np.isfinite(p) or p < 0:
                raise InputError(
                    f"price of {ox} = {value!r} USD/kg is invalid; prices must be finite and >= 0"
                )
            keep_purity = records[ox]["purity"] if ox in records else ""
            records[ox] = {"element": element(ox).symbol, "price_usd_kg": p,
                           "purity": keep_purity if purity is None else purity,
                           "date": d, "source": s, "note": note}
        frame = pd.DataFrame.from_dict(records, orient="index", columns=list(PRICE_COLUMNS))
        frame.index.name = "oxide"
        return PriceTable(frame)

    # ---------------------------------------------------------------- queries

    @property
    def oxides(self) -> tuple[str, ...]:
        """
        The oxides listed, priced or not.

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> default_prices().oxides[:3]
        ('La2O3', 'CeO2', 'Pr6O11')
        """
        return tuple(self.frame.index)

    @property
    def priced(self) -> tuple[str, ...]:
        """
        The oxides that have a price.

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> default_prices().priced
        ('La2O3', 'CeO2', 'Nd2O3', 'Eu2O3', 'Tb4O7', 'Dy2O3')
        """
        return tuple(self.frame.index[self.frame["price_usd_kg"].notna()])

    @property
    def dates(self) -> tuple[str, ...]:
        """
        The distinct dates of the priced rows, in row order.

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> default_prices().dates
        ('2024',)
        """
        priced = self.frame.loc[list(self.priced), "date"]
        return tuple(dict.fromkeys(priced))

    @property
    def sources(self) -> tuple[str, ...]:
        """
        The distinct sources of the priced rows, in row order.

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> default_prices().sources[0][:27]
        'U.S. Geological Survey (202'
        """
        priced = self.frame.loc[list(self.priced), "source"]
        return tuple(dict.fromkeys(priced))

    @property
    def mixed_dates(self) -> bool:
        """
        True when the priced rows do not all have the same date.

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> default_prices().mixed_dates
        False
        """
        return len(self.dates) > 1

    def _row(self, oxide: Any) -> pd.Series:
        ox = _oxide(oxide, "price table")
        if ox not in self.frame.index:
            raise InputError(
                f"{ox} is not in the price table ({', '.join(self.oxides) or 'empty'}); add it "
                f"with .with_prices({{'{ox}': ...}}, date=..., source=...)"
            )
        return self.frame.loc[ox]

    def price(self, oxide: str) -> float:
        """
        Price of one oxide. Units: USD/kg of oxide.

        Raises
        ------
        InputError
            The oxide is unknown, not in the table, or has no price.

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> default_prices().price("Tb4O7")
        810.0
        """
        row = self._row(oxide)
        p = float(row["price_usd_kg"])
        if not np.isfinite(p):
            raise InputError(
                f"no price for {row.name} ({row['source']}); set one with "
                f".with_prices({{'{row.name}': ...}}, date=..., source=...)"
            )
        return p

    def date(self, oxide: str) -> str:
        """
        Date of one oxide's price.

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> default_prices().date("Dy2O3")
        '2024'
        """
        return str(self._row(oxide)["date"])

    def source(self, oxide: str) -> str:
        """
        Source of one oxide's price.

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> default_prices().source("Dy2O3").startswith("U.S. Geological Survey")
        True
        """
        return str(self._row(oxide)["source"])

    def _lookup(self, oxides: Sequence[str]) -> pd.DataFrame:
        """Rows for `oxides` (NaN price for oxides absent from the table)."""
        rows = self.frame.reindex(list(oxides))
        absent = rows["source"].isna()
        rows.loc[absent, ["date", "source", "purity", "note"]] = ""
        rows.loc[absent, "element"] = [element(o).symbol for o in rows.index[absent]]
        return rows

    def to_frame(self) -> pd.DataFrame:
        """
        A copy of the table (index ``oxide``, columns :data:`PRICE_COLUMNS`).

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> default_prices().to_frame().loc["Nd2O3", ["purity", "date"]].tolist()
        ['99.5% minimum', '2024']
        """
        return self.frame.copy()

    def to_csv(self, path: str | PathLike[str]) -> None:
        """
        Write the table as CSV (readable by :func:`read_prices`).

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from raremin.economics import default_prices, read_prices
        >>> with tempfile.TemporaryDirectory() as tmp:
        ...     path = pathlib.Path(tmp) / "prices.csv"
        ...     default_prices().to_csv(path)
        ...     read_prices(path).price("Nd2O3")
        56.0
        """
        self.frame.to_csv(path, index_label="oxide")

    def describe(self) -> str:
        """
        State the table: one line per priced oxide, then the dates and sources.

        Examples
        --------
        >>> from raremin.economics import default_prices
        >>> default_prices().describe().splitlines()[2]
        'Nd2O3 56 USD/kg (99.5% minimum, 2024)'
        """
        lines = []
        for ox in self.priced:
            row = self.frame.loc[ox]
            what = ", ".join(v for v in (row["purity"], row["date"]) if v)
            lines.append(f"{ox} {_fmt(row['price_usd_kg'])} USD/kg ({what})")
        unpriced = [o for o in self.oxides if o not in self.priced]
        if unpriced:
            lines.append(f"no price: {', '.join(unpriced)}")
        lines.append(_dates_line(self.dates))
        lines.extend(f"source: {s}" for s in self.sources)
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self.frame)

    def __repr__(self) -> str:
        priced = ", ".join(f"{o} {_fmt(self.frame.at[o, 'price_usd_kg'])}" for o in self.priced)
        lines = [
            f"PriceTable: {len(self.priced)} of {len(self)} oxides priced (USD/kg)",
            f"  {priced or 'no price'}",
            f"  {_dates_line(self.dates)}",
        ]
        srcs = self.sources
        if srcs:
            more = f" (+{len(srcs) - 1} more)" if len(srcs) > 1 else ""
            lines.append(f"  source: {_short(srcs[0])}{more}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = html.escape(repr(self).splitlines()[0])
        body = self.frame.to_html(float_format="{:,.4g}".format, na_rep="", border=0)
        return f"<div class='raremin'><strong>{head}</strong>{body}</div>"


def _isna(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _short(text: str, n: int = 90) -> str:
    return text if len(text) <= n else text[: n - 3] + "..."


def _span(value: Any) -> str:
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        return _fmt(float(arr))
    return f"{_fmt(float(arr.min()))}-{_fmt(float(arr.max()))}"


def _dates_line(dates: Sequence[str]) -> str:
    if not dates:
        return "price date: none"
    if len(dates) == 1:
        return f"price date: {dates[0]}"
    return f"MIXED price dates: {', '.join(dates)}"


def default_prices(year: int = 2024) -> PriceTable:
    """
    Default rare-earth oxide prices: USGS Mineral Commodity Summaries 2025 yearly averages.

    Parameters
    ----------
    year : int, default 2024
        The year of the yearly average, 2020 to 2024 (2024 is a USGS estimate).

    Returns
    -------
    PriceTable
        One row for each natural rare earth's reporting oxide (La2O3 ... Lu2O3,
        Y2O3, Sc2O3). Six have a price (CeO2, Dy2O3, Eu2O3, La2O3, Nd2O3, Tb4O7);
        the others (Pr6O11, Sm2O3, Gd2O3, Ho2O3, Er2O3, Tm2O3, Yb2O3, Lu2O3, Y2O3,
        Sc2O3) are NaN, because the source gives no price for them: set them with
        :meth:`PriceTable.with_prices` before valuing a mix that contains them.
        Every row carries the date (the year) and the source.

    Raises
    ------
    InputError
        A year outside 2020-2024.

    Notes
    -----
    Source: U.S. Geological Survey (2025), *Mineral Commodity Summaries 2025*, Rare
    Earths chapter (D.J. Cordier), p. 144, table "Salient Statistics-United States",
    rows "Price, average, dollars per kilogram" (USGS cites Argus Media Group, Argus
    Non-Ferrous Markets). Purities as stated there: cerium, dysprosium, lanthanum and
    neodymium oxides 99.5 % minimum; europium and terbium oxides 99.99 % minimum.
    USGS rounds to whole dollars, so CeO2 and La2O3 (1-2 USD/kg) carry up to 50 %
    rounding error. The chapter also prices mischmetal (65 % Ce, 35 % La: 5 USD/kg in
    2024), which is not an oxide and is not in the table. The chapter names
    "terbium oxide" and "cerium oxide"; they are taken as the reporting oxides
    Tb4O7 and CeO2.

    These are yearly averages of a volatile market. State the table
    (:meth:`PriceTable.describe`) next to any figure computed from it, and use
    prices suited to the study (long-term forecasts, contract prices) through
    :meth:`PriceTable.with_prices` or :func:`read_prices`.

    Examples
    --------
    >>> from raremin.economics import default_prices
    >>> p = default_prices()
    >>> p.price("Dy2O3"), p.price("Nd2O3")
    (260.0, 56.0)
    >>> default_prices(2022).price("Tb4O7")
    2051.0
    >>> "Pr6O11" in p.priced
    False
    """
    if year not in _MCS2025_YEARS:
        raise InputError(
            f"year = {year!r}: the USGS MCS 2025 prices cover {_MCS2025_YEARS[0]}-"
            f"{_MCS2025_YEARS[-1]}; for other years set prices with with_prices()"
        )
    j = _MCS2025_YEARS.index(year)
    estimated = " (USGS estimate, 'e')" if year == 2024 else ""
    rows = []
    for sym in ELEMENTS:
        el = RARE_EARTHS[sym]
        if not el.natural:
            continue
        ox = el.oxide_formula
        if ox in _MCS2025_PRICES:
            purity, series = _MCS2025_PRICES[ox]
            rows.append((ox, sym, float(series[j]), purity, str(year), MCS2025_SOURCE,
                         f"yearly average {year}{estimated}; rounded to whole USD"))
        else:
            rows.append((ox, sym, np.nan, "", str(year), MCS2025_SOURCE,
                         "no price in the source; set one with with_prices()"))
    frame = pd.DataFrame(rows, columns=["oxide", *PRICE_COLUMNS]).set_index("oxide")
    return PriceTable(frame)


def read_prices(path: str | PathLike[str]) -> PriceTable:
    """
    Read a price table from a CSV file.

    Parameters
    ----------
    path : str or path-like
        A CSV with a header and columns ``oxide``, ``price_usd_kg`` (Units: USD/kg of
        oxide; empty when unknown), ``date`` and ``source`` on every row; optional
        ``purity``, ``note``, ``element``.

    Returns
    -------
    PriceTable

    Raises
    ------
    InputError
        A missing column, an unknown oxide, a bad price or a row without date or
        source.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from raremin.economics import read_prices
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "p.csv"
    ...     _ = path.write_text("oxide,price_usd_kg,date,source\\nNd2O3,60,2025,quote\\n")
    ...     read_prices(path).price("Nd2O3")
    60.0
    """
    try:
        df = pd.read_csv(path, dtype={"date": str, "source": str, "purity": str, "note": str},
                         keep_default_na=False, na_values={"price_usd_kg": ["", "NaN", "nan"]})
    except (OSError, pd.errors.ParserError, pd.errors.EmptyDataError) as err:
        raise InputError(f"cannot read price table {str(path)!r}: {err}") from None
    return PriceTable.from_frame(df)


def _as_price_table(prices: Any) -> PriceTable:
    if isinstance(prices, PriceTable):
        return prices
    if isinstance(prices, pd.DataFrame):
        return PriceTable.from_frame(prices)
    if isinstance(prices, (Mapping, pd.Series)):
        return PriceTable.from_mapping(prices, date="unstated", source="user-supplied mapping")
    raise InputError(
        f"prices must be a PriceTable (see default_prices()), a DataFrame or a mapping "
        f"oxide -> USD/kg; got {type(prices).__name__}"
    )


def _provenance(rows: pd.DataFrame) -> tuple[tuple[str, ...], tuple[str, ...]]:
    used = rows[rows["price_usd_kg"].notna()]
    return tuple(dict.fromkeys(used["date"])), tuple(dict.fromkeys(used["source"]))


def _missing_prices(rows: pd.DataFrame, missing: str, what: str) -> list[str]:
    if missing not in ("raise", "exclude"):
        raise InputError(f"missing must be 'raise' or 'exclude'; got {missing!r}")
    absent = list(rows.index[rows["price_usd_kg"].isna()])
    if absent and missing == "raise":
        raise InputError(
            f"{what}: no price for {', '.join(absent)}; set them with "
            f"prices.with_prices({{'{absent[0]}': ...}}, date=..., source=...), or pass "
            f"missing='exclude' to value them at 0 (the result then lists them)"
        )
    return absent


class _Priced:
    """Shared display of the price provenance of a result."""

    price_dates: tuple[str, ...]
    price_sources: tuple[str, ...]

    @property
    def mixed_dates(self) -> bool:
        """True when the prices used do not all have the same date."""
        return len(self.price_dates) > 1

    def _provenance_lines(self) -> list[str]:
        lines = [_dates_line(self.price_dates)]
        if self.price_sources:
            more = f" (+{len(self.price_sources) - 1} more)" if len(self.price_sources) > 1 else ""
            lines.append(f"source: {_short(self.price_sources[0])}{more}")
        return lines

    def _repr_html_(self) -> str:
        lines = "".join(f"<li>{html.escape(s)}</li>" for s in self.describe().splitlines())
        return f"<div class='raremin'><ul style='margin:0.2em 0'>{lines}</ul></div>"

    def describe(self) -> str:  # pragma: no cover - overridden
        raise NotImplementedError


# ------------------------------------------------------------------------- basket price


@dataclass(frozen=True, eq=False, repr=False)
class BasketPrice(_Priced):
    """
    Value of 1 kg of an oxide mix (a deposit's TREO, MREO...), from :func:`basket_price`.

    Attributes
    ----------
    name : str
        Name of the basket (``"TREO"``).
    value_usd_kg : float
        sum(share x price x recovery). Units: USD per kg of basket oxide.
    gross_usd_kg : float
        sum(share x price), recovery not applied. Units: USD/kg.
    contributions : pandas.DataFrame
        One row per component (index ``oxide``): ``share``, ``price_usd_kg``,
        ``recovery``, ``value_usd_kg`` (its contribution), ``date``, ``source``.
    excluded : tuple of str
        Components without a price left out with ``missing="exclude"`` (valued at 0).
    excluded_share : float
        Their total share of the basket (0-1).
    price_dates, price_sources : tuple of str
        Dates and sources of the prices used.

    Examples
    --------
    >>> from raremin.economics import basket_price, default_prices
    >>> bp = basket_price({"Nd2O3": 0.6, "Dy2O3": 0.4}, default_prices(), recoveries=0.5)
    >>> bp.value_usd_kg, bp.gross_usd_kg, bp.recovery
    (68.8, 137.6, 0.5)
    """

    name: str
    value_usd_kg: float
    gross_usd_kg: float
    contributions: pd.DataFrame
    excluded: tuple[str, ...]
    excluded_share: float
    price_dates: tuple[str, ...]
    price_sources: tuple[str, ...]

    @property
    def recovery(self) -> float:
        """
        Effective recovery of the basket: value / gross value (NaN if the gross is 0).

        Examples
        --------
        >>> from raremin.economics import basket_price
        >>> basket_price({"Nd2O3": 1.0}, {"Nd2O3": 50.0}, recoveries=0.8).recovery
        0.8
        """
        if self.gross_usd_kg == 0:
            return float("nan")
        return self.value_usd_kg / self.gross_usd_kg

    def describe(self) -> str:
        """
        State the basket price, its components, and the price dates and sources.

        Examples
        --------
        >>> from raremin.economics import basket_price
        >>> bp = basket_price({"Nd2O3": 1.0}, {"Nd2O3": 50.0})
        >>> bp.describe().splitlines()[0]
        'TREO basket: 50 USD/kg (gross 50 USD/kg, recovery 1)'
        """
        lines = [
            f"{self.name} basket: {_fmt(self.value_usd_kg)} USD/kg "
            f"(gross {_fmt(self.gross_usd_kg)} USD/kg, recovery {_fmt(self.recovery)})"
        ]
        top = self.contributions.sort_values("value_usd_kg", ascending=False).head(4)
        parts = [f"{ox} {_fmt(v)}" for ox, v in top["value_usd_kg"].items()]
        lines.append("largest contributions (USD/kg): " + ", ".join(parts))
        if self.excluded:
            lines.append(
                f"EXCLUDED (no price, valued at 0): {', '.join(self.excluded)} "
                f"= {self.excluded_share:.1%} of the basket"
            )
        return "\n".join(lines + self._provenance_lines())

    def __repr__(self) -> str:
        return "BasketPrice: " + "\n  ".join(_short(x, 100) for x in self.describe().splitlines())


def basket_price(
    shares: Mapping[str, float] | pd.Series,
    prices: PriceTable | Mapping[str, float] | pd.DataFrame,
    recoveries: float | Mapping[str, float] | None = None,
    *,
    basis: str = "oxide",
    missing: str = "raise",
    normalize: bool = False,
    name: str = "TREO",
) -> BasketPrice:
    """
    Value of 1 kg of a basket of oxides with the deposit's own distribution.

    Parameters
    ----------
    shares : mapping or pandas.Series
        Component (oxide formula, symbol or name) -> amount. With ``basis="oxide"``,
        fractions of the basket's oxide total (Nd2O3 / TREO) that must sum to 1
        within 0.001 (or any positive amounts with ``normalize=True``). With
        ``basis="element"``, element amounts (element grades in one unit, or element
        shares): they are converted to oxide with
        :func:`raremin.chemistry.oxide_factor` and normalised.
    prices : PriceTable, DataFrame or mapping
        Prices in USD/kg of oxide (:func:`default_prices`). A plain mapping is dated
        ``"unstated"`` with source ``"user-supplied mapping"``.
    recoveries : float or mapping, optional
        Recovery of each component to the sold product, fraction 0-1: one number for
        all, or a mapping covering every component. Default: 1 (gross value).
    basis : {"oxide", "element"}, default "oxide"
        What `shares` are (see above).
    missing : {"raise", "exclude"}, default "raise"
        A component without a price raises an InputError naming it, or with
        ``"exclude"`` is valued at 0 and listed in the result's ``excluded``.
    normalize : bool, default False
        Oxide basis only: divide the amounts by their sum instead of requiring them
        to sum to 1.
    name : str, default "TREO"
        Name of the basket in the result.

    Returns
    -------
    BasketPrice

    Raises
    ------
    InputError
        An unknown component, a negative share, shares not summing to 1, a recovery
        outside [0, 1], a missing recovery, or (``missing="raise"``) a missing price.

    Notes
    -----
    value = sum_i s_i p_i r_i, with s_i the oxide share of component i, p_i its price
    (USD/kg of oxide) and r_i its recovery. Excluded components keep their share: the
    shares are not renormalised, so the value is that of 1 kg of the whole basket with
    those components worth nothing (a lower bound).

    Examples
    --------
    >>> from raremin.economics import basket_price
    >>> prices = {"Nd2O3": 60.0, "Pr6O11": 62.0, "CeO2": 1.0}
    >>> bp = basket_price({"Nd2O3": 0.15, "Pr6O11": 0.05, "CeO2": 0.8}, prices,
    ...                   recoveries={"Nd2O3": 0.9, "Pr6O11": 0.9, "CeO2": 0.5})
    >>> round(bp.value_usd_kg, 3)
    11.29
    >>> bp.contributions["value_usd_kg"].round(3).tolist()
    [8.1, 2.79, 0.4]
    """
    table = _as_price_table(prices)
    basis = _check_basis(basis)
    if isinstance(shares, pd.Series):
        shares = shares.to_dict()
    if not isinstance(shares, Mapping) or not shares:
        raise InputError(
            f"shares must be a non-empty mapping oxide -> fraction, e.g. "
            f"{{'Nd2O3': 0.2, 'CeO2': 0.5, ...}}; got {shares!r}"
        )
    amounts: dict[str, float] = {}
    for key, value in shares.items():
        ox = _oxide(key, "shares")
        if ox in amounts:
            raise InputError(f"shares gives {ox} twice (keys naming the same oxide)")
        v = float(as_float_array(value, f"share of {ox}"))
        if not np.isfinite(v) or v < 0:
            raise InputError(f"share of {ox} = {value!r} must be a finite number >= 0")
        amounts[ox] = v
    oxides = list(amounts)
    raw = np.array([amounts[o] for o in oxides])
    if basis == "element":
        raw = raw * np.array([OXIDE_FACTORS[element(o).symbol] for o in oxides])
        normalize = True
    total = raw.sum()
    if total <= 0:
        raise InputError("shares sum to 0; at least one component needs a positive share")
    if not normalize and abs(total - 1.0) > _SHARE_TOL:
        raise InputError(
            f"shares sum to {total:.6g}, not 1 (tolerance {_SHARE_TOL}); fix them, or pass "
            f"normalize=True to divide by their sum"
        )
    s = raw / total if normalize else raw
    rec = np.ones(len(oxides)) if recoveries is None else _per_component(
        recoveries, oxides, "recoveries", "fraction")
    rows = table._lookup(oxides)
    excluded = _missing_prices(rows, missing, f"basket {name}")
    p = rows["price_usd_kg"].to_numpy(dtype=float)
    priced = np.isfinite(p)
    contrib = np.where(priced, s * np.where(priced, p, 0.0) * rec, 0.0)
    gross = float(np.sum(np.where(priced, s * np.where(priced, p, 0.0), 0.0)))
    frame = pd.DataFrame(
        {"share": s, "price_usd_kg": p, "recovery": rec, "value_usd_kg": contrib,
         "date": rows["date"].to_numpy(), "source": rows["source"].to_numpy()},
        index=pd.Index(oxides, name="oxide"),
    )
    dates, sources = _provenance(rows)
    return BasketPrice(
        name=str(name),
        value_usd_kg=float(contrib.sum()),
        gross_usd_kg=gross,
        contributions=frame,
        excluded=tuple(excluded),
        excluded_share=float(s[~priced].sum()),
        price_dates=dates,
        price_sources=sources,
    )


# ------------------------------------------------------------------------- block values


@dataclass(frozen=True, eq=False, repr=False)
class BlockValue(_Priced):
    """
    Value per tonne of ore of each block or sample, from :func:`in_situ_value` or
    :func:`net_smelter_return`.

    Attributes
    ----------
    kind : str
        ``"in-situ value"`` or ``"net smelter return"``.
    values_usd_t : numpy.ndarray or pandas.Series
        Units: USD per tonne of ore. NaN where a grade is NaN. A Series (with the
        frame's index) when the grades were a DataFrame.
    components : tuple of str
        The oxides valued.
    prices : pandas.DataFrame
        The price rows used (index ``oxide``: ``price_usd_kg``, ``date``, ``source``).
    terms : mapping
        Recoveries, payabilities, deductions and royalty used (NSR), per oxide.
    excluded : tuple of str
        Components without a price valued at 0 (``missing="exclude"``).
    ignored_columns : tuple
        DataFrame columns that were not read as rare-earth grades.
    price_dates, price_sources : tuple of str
        Dates and sources of the prices used.

    Examples
    --------
    >>> from raremin.economics import in_situ_value
    >>> v = in_situ_value({"nd2o3_pct": [0.1, 0.2]}, {"Nd2O3": 60.0})
    >>> v.values_usd_t
    array([ 60., 120.])
    >>> v.price_dates, v.price_sources
    (('unstated',), ('user-supplied mapping',))
    """

    kind: str
    values_usd_t: Any
    components: tuple[str, ...]
    prices: pd.DataFrame
    terms: Mapping[str, Any]
    excluded: tuple[str, ...]
    ignored_columns: tuple[Any, ...]
    price_dates: tuple[str, ...]
    price_sources: tuple[str, ...]

    def describe(self) -> str:
        """
        State the values: count, mean, components, terms, price dates and sources.

        Examples
        --------
        >>> from raremin.economics import in_situ_value
        >>> v = in_situ_value({"nd2o3_pct": [0.1, 0.2]}, {"Nd2O3": 60.0})
        >>> v.describe().splitlines()[0]
        'in-situ value of 2 blocks: mean 90 USD/t (Nd2O3)'
        """
        vals = np.asarray(self.values_usd_t, dtype=float)
        n = vals.size
        mean = float(np.nanmean(vals)) if n and np.isfinite(vals).any() else float("nan")
        lines = [f"{self.kind} of {n:,} blocks: mean {_fmt(mean)} USD/t "
                 f"({', '.join(self.components)})"]
        for key, val in self.terms.items():
            if isinstance(val, Mapping):
                uniq = set(val.values())
                text = _fmt(next(iter(uniq))) if len(uniq) == 1 else ", ".join(
                    f"{k} {_fmt(v)}" for k, v in val.items())
            else:
                text = _fmt(val)
            lines.append(f"{key}: {text}")
        if self.excluded:
            lines.append(f"EXCLUDED (no price, valued at 0): {', '.join(self.excluded)}")
        return "\n".join(lines + self._provenance_lines())

    def __repr__(self) -> str:
        return "BlockValue: " + "\n  ".join(_short(x, 100) for x in self.describe().splitlines())


def _grade_matrix(grades: Any) -> tuple[list[str], np.ndarray, Any, tuple[Any, ...],
                                         list[Any]]:
    """
    Oxide-basis mass fractions of the rare-earth grades, component axis last.

    Returns the oxides, the matrix, the DataFrame index (or None), the ignored
    columns, and the source column of each component.
    """
    index = None
    ignored: list[Any] = []
    if isinstance(grades, pd.DataFrame):
        index = grades.index
        items = [(c, grades[c].to_numpy()) for c in grades.columns]
    elif isinstance(grades, Mapping):
        items = list(grades.items())
    else:
        raise InputError(
            f"grades must be a mapping column name -> array (e.g. {{'nd2o3_pct': ...}}) or "
            f"a DataFrame with grade columns; got {type(grades).__name__}"
        )
    oxides: list[str] = []
    cols: list[Any] = []
    arrays: list[np.ndarray] = []
    for name, values in items:
        parsed = parse_grade_column(name)
        if parsed is None:
            if index is not None:
                ignored.append(name)
                continue
            raise InputError(
                f"grade name {name!r} is not a rare-earth grade column such as 'nd2o3_pct' "
                f"or 'pr_ppm' (<reporting oxide or symbol>_<unit>)"
            )
        ox = RARE_EARTHS[parsed.element].oxide_formula
        if ox in oxides:
            first = cols[oxides.index(ox)]
            raise InputError(
                f"grades {first!r} and {name!r} both hold {parsed.element}; keep one of them"
            )
        arr = check_grades(values, parsed.unit, name=f"grade {name!r}", allow_nan=True)
        frac = arr * grade_factor(parsed.unit)
        if parsed.basis == "element":
            frac = frac * OXIDE_FACTORS[parsed.element]
        oxides.append(ox)
        cols.append(name)
        arrays.append(frac)
    if not oxides:
        raise InputError(
            f"no rare-earth grade among {[n for n, _ in items]}; name grades like "
            f"'nd2o3_pct' or 'pr_ppm'"
        )
    try:
        mat = np.stack(np.broadcast_arrays(*arrays), axis=-1)
    except ValueError:
        shapes = {c: np.shape(a) for c, a in zip(cols, arrays, strict=True)}
        raise InputError(f"grade arrays do not broadcast together: {shapes}") from None
    return oxides, mat, index, tuple(ignored), cols


def _wrap(values: np.ndarray, index: Any, name: str) -> Any:
    if index is not None:
        return pd.Series(values, index=index, name=name)
    return float(values) if values.ndim == 0 else values


def in_situ_value(
    grades: Mapping[str, Any] | pd.DataFrame,
    prices: PriceTable | Mapping[str, float] | pd.DataFrame,
    *,
    missing: str = "raise",
) -> BlockValue:
    """
    Gross in-situ value of the rare-earth oxides in each tonne of ore.

    Parameters
    ----------
    grades : mapping or pandas.DataFrame
        Grade arrays named like raremin's grade columns: ``<oxide>_<unit>``
        (``nd2o3_pct``, oxide basis) or ``<symbol>_<unit>`` (``pr_ppm``, element
        basis, converted to oxide), any grade unit. Arrays broadcast together (any
        shape: blocks, realisations...). In a DataFrame, columns that are not
        rare-earth grades (``hole_id``, ``treo_pct``) are ignored and listed in the
        result. NaN grades give NaN values.
    prices : PriceTable, DataFrame or mapping
        USD/kg of oxide (:func:`default_prices`).
    missing : {"raise", "exclude"}, default "raise"
        A component without a price raises, or is valued at 0 and listed.

    Returns
    -------
    BlockValue
        ``values_usd_t``: USD per tonne of ore.

    Raises
    ------
    InputError
        An unreadable grade name, negative grades or grades over 100 %, an element
        given twice, or (``missing="raise"``) a missing price.

    Notes
    -----
    V = 1000 kg/t x sum_i g_i p_i, with g_i the oxide mass fraction and p_i the price
    in USD/kg of oxide. No recovery, payability or cost: an upper bound, not a
    measure of economic value (JORC Code 2012, Clause 51, discourages reporting in-situ
    values of Mineral Resources).

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.economics import default_prices, in_situ_value
    >>> g = {"nd2o3_pct": np.array([0.2, 0.5]), "dy_ppm": np.array([100.0, 0.0])}
    >>> in_situ_value(g, default_prices()).values_usd_t.round(2)
    array([141.84, 280.  ])
    """
    table = _as_price_table(prices)
    oxides, mat, index, ignored, _ = _grade_matrix(grades)
    rows = table._lookup(oxides)
    excluded = _missing_prices(rows, missing, "in-situ value")
    p = np.nan_to_num(rows["price_usd_kg"].to_numpy(dtype=float), nan=0.0)
    values = _KG_PER_T * (mat @ p)
    dates, sources = _provenance(rows)
    return BlockValue(
        kind="in-situ value",
        values_usd_t=_wrap(values, index, "in_situ_usd_t"),
        components=tuple(oxides),
        prices=rows[["price_usd_kg", "date", "source"]].copy(),
        terms=MappingProxyType({}),
        excluded=tuple(excluded),
        ignored_columns=ignored,
        price_dates=dates,
        price_sources=sources,
    )


def net_smelter_return(
    grades: Mapping[str, Any] | pd.DataFrame,
    prices: PriceTable | Mapping[str, float] | pd.DataFrame,
    *,
    recoveries: float | Mapping[str, float],
    payability: float | Mapping[str, float] = 1.0,
    refining_usd_kg: float | Mapping[str, float] = 0.0,
    transport_usd_kg: float | Mapping[str, float] = 0.0,
    royalty_pct: float = 0.0,
    missing: str = "raise",
) -> BlockValue:
    """
    Net smelter return per tonne of ore of each block or sample.

    Parameters
    ----------
    grades : mapping or pandas.DataFrame
        Grade arrays, as for :func:`in_situ_value`.
    prices : PriceTable, DataFrame or mapping
        USD/kg of oxide.
    recoveries : float or mapping
        Recovery of each oxide to the sold product, fraction 0-1 (required: one
        number for all, or a mapping covering every component).
    payability : float or mapping, default 1.0
        Fraction of the price paid for the recovered product, 0-1.
    refining_usd_kg, transport_usd_kg : float or mapping, default 0.0
        Refining (separation, treatment) and transport costs. Units: USD per kg of
        recovered oxide.
    royalty_pct : float, default 0.0
        Royalty on the net return. Units: per cent.
    missing : {"raise", "exclude"}, default "raise"
        A component without a price raises, or is valued at 0 and listed.

    Returns
    -------
    BlockValue
        ``values_usd_t``: USD per tonne of ore; ``terms`` states every recovery,
        payability, deduction and the royalty used.

    Raises
    ------
    InputError
        As for :func:`in_situ_value`, plus a recovery or payability outside [0, 1],
        a negative cost, a royalty outside [0, 100), or a term missing for a
        component.

    Notes
    -----
    NSR = (1 - k) x 1000 kg/t x sum_i g_i r_i (p_i y_i - c_i), with g_i the oxide mass
    fraction, r_i the recovery, p_i the price (USD/kg of oxide), y_i the payability,
    c_i the refining plus transport cost per kg of recovered oxide and k the royalty
    (fraction of the net return). It is negative where the deductions exceed the
    payable price; it is not clipped at 0.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.economics import net_smelter_return
    >>> nsr = net_smelter_return({"nd2o3_pct": np.array([0.1, 0.3])}, {"Nd2O3": 60.0},
    ...                          recoveries=0.8, payability=0.9, refining_usd_kg=4.0,
    ...                          royalty_pct=2.5)
    >>> nsr.values_usd_t.round(3)
    array([ 39., 117.])
    """
    table = _as_price_table(prices)
    oxides, mat, index, ignored, _ = _grade_matrix(grades)
    rec = _per_component(recoveries, oxides, "recoveries", "fraction")
    pay = _per_component(payability, oxides, "payability", "fraction")
    refine = _per_component(refining_usd_kg, oxides, "refining_usd_kg", "cost")
    transport = _per_component(transport_usd_kg, oxides, "transport_usd_kg", "cost")
    k = _royalty(royalty_pct)
    rows = table._lookup(oxides)
    excluded = _missing_prices(rows, missing, "net smelter return")
    p = rows["price_usd_kg"].to_numpy(dtype=float)
    unit_net = np.where(np.isfinite(p), rec * (np.nan_to_num(p) * pay - refine - transport), 0.0)
    values = (1.0 - k) * _KG_PER_T * (mat @ unit_net)
    dates, sources = _provenance(rows)
    terms = {
        "recovery": dict(zip(oxides, rec.tolist(), strict=True)),
        "payability": dict(zip(oxides, pay.tolist(), strict=True)),
        "refining_usd_kg": dict(zip(oxides, refine.tolist(), strict=True)),
        "transport_usd_kg": dict(zip(oxides, transport.tolist(), strict=True)),
        "royalty_pct": 100.0 * k,
    }
    return BlockValue(
        kind="net smelter return",
        values_usd_t=_wrap(values, index, "nsr_usd_t"),
        components=tuple(oxides),
        prices=rows[["price_usd_kg", "date", "source"]].copy(),
        terms=MappingProxyType(terms),
        excluded=tuple(excluded),
        ignored_columns=ignored,
        price_dates=dates,
        price_sources=sources,
    )


# ---------------------------------------------------------------------- equivalent grade


@dataclass(frozen=True, eq=False, repr=False)
class EquivalentGrade(_Priced):
    """
    Equivalent grades of a reference oxide or basket, from :func:`equivalent_grade`.

    Attributes
    ----------
    values : numpy.ndarray, float or pandas.Series
        Equivalent grades in `unit`, oxide basis of the reference.
    name : str
        Column name of the values, ``<reference>_eq_<unit suffix>`` (``nd2o3_eq_pct``).
    reference : str
        The reference oxide or basket.
    unit : str
        Grade unit of `values`.
    factors : pandas.DataFrame
        One row per component (index ``oxide``): ``price_usd_kg``, ``recovery``,
        ``factor`` (p_i r_i / (p_ref r_ref)), ``date``, ``source``.
    formula : str
        The calculation formula, to be reported with the figures (JORC Clause 50).
    statement : str
        The recoverability statement given.
    price_dates, price_sources : tuple of str
        Dates and sources of the prices used.

    Examples
    --------
    >>> from raremin.economics import equivalent_grade
    >>> eq = equivalent_grade({"nd2o3_pct": 0.3, "dy2o3_pct": 0.01},
    ...                       {"Nd2O3": 60.0, "Dy2O3": 300.0},
    ...                       recoveries={"Nd2O3": 0.8, "Dy2O3": 0.6},
    ...                       reference="Nd2O3", recoverable=True)
    >>> round(eq.values, 4), eq.name
    (0.3375, 'nd2o3_eq_pct')
    """

    values: Any
    name: str
    reference: str
    unit: str
    factors: pd.DataFrame
    formula: str
    statement: str
    price_dates: tuple[str, ...]
    price_sources: tuple[str, ...]

    def describe(self) -> str:
        """
        State the equivalent grade, its formula, factors, statement, dates and sources.

        Examples
        --------
        >>> from raremin.economics import equivalent_grade
        >>> eq = equivalent_grade({"nd2o3_pct": 0.3}, {"Nd2O3": 60.0}, recoveries=0.8,
        ...                       reference="Nd2O3", recoverable=True)
        >>> eq.describe().splitlines()[1]
        'formula: Nd2O3eq = Nd2O3 (pct)'
        """
        vals = np.asarray(self.values, dtype=float)
        mean = float(np.nanmean(vals)) if vals.size and np.isfinite(vals).any() else np.nan
        lines = [
            f"{self.name}: {vals.size:,} value(s), mean {_fmt(mean)} {self.unit}",
            f"formula: {self.formula}",
            "prices (USD/kg) and recoveries: " + ", ".join(
                f"{ox} {_fmt(r.price_usd_kg)} x {_fmt(r.recovery)}"
                for ox, r in self.factors.iterrows()),
            f"statement: {self.statement}",
        ]
        return "\n".join(lines + self._provenance_lines())

    def __repr__(self) -> str:
        lines = self.describe().splitlines()
        return "EquivalentGrade: " + "\n  ".join(_short(x, 100) for x in lines)


def _statement(recoverable: Any) -> str:
    if recoverable is True:
        return (
            "All components of the equivalent are stated to have a reasonable potential to "
            "be recovered and sold (JORC Code 2012, Clause 50)."
        )
    if isinstance(recoverable, str) and recoverable.strip():
        return recoverable.strip()
    raise InputError(
        f"recoverable = {recoverable!r}: the JORC Code (2012), Clause 50, requires a clear "
        f"statement that every element in a metal-equivalent calculation has a reasonable "
        f"potential to be recovered and sold; pass recoverable=True or the statement text "
        f"(and report it with the figures)"
    )


def equivalent_grade(
    grades: Mapping[str, Any] | pd.DataFrame,
    prices: PriceTable | Mapping[str, float] | pd.DataFrame,
    *,
    recoveries: float | Mapping[str, float] | None,
    reference: str | BasketPrice,
    recoverable: bool | str | None = None,
    unit: str | None = None,
) -> EquivalentGrade:
    """
    Equivalent grade of a reference oxide or basket (e.g. Nd2O3eq, TREOeq).

    Parameters
    ----------
    grades : mapping or pandas.DataFrame
        Grade arrays, as for :func:`in_situ_value`; every component needs a grade.
    prices : PriceTable, DataFrame or mapping
        USD/kg of oxide; every component and the reference oxide need a price.
    recoveries : float or mapping
        Metallurgical recovery of each component (and of the reference oxide),
        fraction 0-1; required.
    reference : str or BasketPrice
        The oxide the equivalent is expressed as (``"Nd2O3"``), or a
        :class:`BasketPrice` whose recovered value p_ref r_ref is
        ``value_usd_kg`` (a TREO- or NdPr-equivalent).
    recoverable : bool or str
        The statement that every component has a reasonable potential to be
        recovered and sold: True, or its text. Required (JORC Code 2012, Clause 50).
    unit : str, optional
        Grade unit of the result. Default: the unit of the reference's grade column
        if there is one, else that of the first grade column.

    Returns
    -------
    EquivalentGrade

    Raises
    ------
    InputError
        No recoverability statement; a component (or the reference) without a price
        or a recovery; a recovery outside [0, 1] or a reference recovery of 0; bad
        grades.

    Notes
    -----
    eq = sum_i g_i p_i r_i / (p_ref r_ref), grades on oxide basis in one unit
    (element grades are converted with :func:`raremin.chemistry.oxide_factor`).
    Clause 50 of the JORC Code (2012) allows metal equivalents only with: the grade
    of every component, the assumed price and the metallurgical recovery of every
    component, a statement that all components have a reasonable potential to be
    recovered and sold, and the formula. This function refuses to run without them,
    and the result carries them (:meth:`EquivalentGrade.describe`). Report the
    individual grades too.

    References
    ----------
    JORC (2012). *Australasian Code for Reporting of Exploration Results, Mineral
    Resources and Ore Reserves* (The JORC Code, 2012 Edition), Clause 50.

    Examples
    --------
    >>> from raremin.economics import basket_price, equivalent_grade
    >>> prices = {"Nd2O3": 60.0, "Pr6O11": 60.0, "Dy2O3": 300.0}
    >>> rec = {"Nd2O3": 0.8, "Pr6O11": 0.8, "Dy2O3": 0.6}
    >>> ndpr = basket_price({"Nd2O3": 0.75, "Pr6O11": 0.25}, prices, rec, name="NdPr")
    >>> eq = equivalent_grade({"nd2o3_pct": 0.3, "pr6o11_pct": 0.1, "dy2o3_pct": 0.01},
    ...                       prices, recoveries=rec, reference=ndpr, recoverable=True)
    >>> round(eq.values, 4), eq.name
    (0.4375, 'ndpr_eq_pct')
    """
    statement = _statement(recoverable)
    table = _as_price_table(prices)
    oxides, mat, index, _, cols = _grade_matrix(grades)
    if recoveries is None:
        raise InputError(
            "recoveries is required: JORC Clause 50 asks for the metallurgical recovery of "
            f"every component ({', '.join(oxides)})"
        )
    if isinstance(reference, BasketPrice):
        ref_name = reference.name
        ref_value = reference.value_usd_kg
        ref_rows = None
    else:
        ref_name = _oxide(reference, "reference")
        ref_rows = table._lookup([ref_name])
        if np.isnan(ref_rows["price_usd_kg"].iloc[0]):
            raise InputError(
                f"reference {ref_name} has no price; an equivalent needs the price of its "
                f"reference (set it with with_prices())"
            )
        ref_rec = _per_component(recoveries, [ref_name], "recoveries", "fraction")[0]
        ref_value = float(ref_rows["price_usd_kg"].iloc[0]) * ref_rec
    if not ref_value > 0:
        raise InputError(
            f"reference {ref_name} has a recovered value of {ref_value} USD/kg; the "
            f"equivalent divides by it, so its price and recovery must be > 0"
        )
    rec = _per_component(recoveries, oxides, "recoveries", "fraction")
    rows = table._lookup(oxides)
    no_price = list(rows.index[rows["price_usd_kg"].isna()])
    if no_price:
        raise InputError(
            f"no price for {', '.join(no_price)}: JORC Clause 50 requires the assumed price "
            f"of every component of an equivalent; set it with with_prices() or drop the "
            f"grade"
        )
    p = rows["price_usd_kg"].to_numpy(dtype=float)
    factor = p * rec / ref_value
    if unit is None:
        ref_col = [c for c, o in zip(cols, oxides, strict=True) if o == ref_name]
        ref_grade = parse_grade_column((ref_col or cols)[0])
        if ref_grade is None:  # pragma: no cover - _grade_matrix keeps grade columns only
            raise InputError(f"{(ref_col or cols)[0]!r} is not a rare-earth grade column; "
                             f"give unit=")
        unit = ref_grade.unit
    unit = grade_unit(unit)
    values = convert_grade(mat @ factor, "fraction", unit)
    values = np.asarray(values, dtype=float)
    slug = ref_name.lower().replace(" ", "_")
    name = f"{slug}_eq_{unit_suffix(unit)}"
    terms = " + ".join(f"{_fmt(f)} x {ox}" for ox, f in zip(oxides, factor, strict=True))
    formula = (f"{ref_name}eq = {terms} ({unit})" if len(oxides) > 1 or factor[0] != 1
               else f"{ref_name}eq = {oxides[0]} ({unit})")
    factors = pd.DataFrame(
        {"price_usd_kg": p, "recovery": rec, "factor": factor,
         "date": rows["date"].to_numpy(), "source": rows["source"].to_numpy()},
        index=pd.Index(oxides, name="oxide"),
    )
    used = rows if ref_rows is None else pd.concat([rows, ref_rows])
    dates, sources = _provenance(used)
    if isinstance(reference, BasketPrice):
        dates = tuple(dict.fromkeys(dates + reference.price_dates))
        sources = tuple(dict.fromkeys(sources + reference.price_sources))
    return EquivalentGrade(
        values=_wrap(values, index, name),
        name=name,
        reference=ref_name,
        unit=unit,
        factors=factors,
        formula=formula,
        statement=statement,
        price_dates=dates,
        price_sources=sources,
    )


# ------------------------------------------------------------------------------ cut-offs


@dataclass(frozen=True, eq=False, repr=False)
class CutoffGrade(_Priced):
    """
    A cut-off grade and the terms it was computed from (:func:`breakeven_cutoff`).

    Attributes
    ----------
    cutoff : float or numpy.ndarray
        The cut-off grade in `unit`, oxide basis of the reference (an array when
        costs were arrays).
    unit : str
        Grade unit of `cutoff`.
    name : str
        Column name of the grade it applies to (``nd2o3_pct``, ``treo_pct``).
    reference : str
        The reference oxide or basket.
    kind : str
        ``"break-even"`` or ``"marginal"``.
    cost_usd_t : float or numpy.ndarray
        Cost per tonne of ore in the numerator. Units: USD/t.
    price_usd_kg : float
        Price of the reference. Units: USD/kg of oxide.
    terms : mapping
        Every term used (recovery, payability, royalty, selling cost, costs).
    formula : str
        The formula, with its reference.
    price_dates, price_sources : tuple of str
        Date and source of the price.

    Examples
    --------
    >>> from raremin.economics import breakeven_cutoff
    >>> c = breakeven_cutoff("Nd2O3", {"Nd2O3": 60.0}, recovery=0.8, mining_usd_t=10.0,
    ...                      processing_usd_t=30.0)
    >>> round(c.cutoff, 4), c.unit, c.kind
    (0.0833, 'pct', 'break-even')
    """

    cutoff: Any
    unit: str
    name: str
    reference: str
    kind: str
    cost_usd_t: Any
    price_usd_kg: float
    terms: Mapping[str, Any]
    formula: str
    price_dates: tuple[str, ...]
    price_sources: tuple[str, ...]

    def describe(self) -> str:
        """
        State the cut-off, its terms, formula, price date and source.

        Examples
        --------
        >>> from raremin.economics import marginal_cutoff
        >>> c = marginal_cutoff("Nd2O3", {"Nd2O3": 60.0}, recovery=0.8,
        ...                     processing_usd_t=30.0)
        >>> c.describe().splitlines()[0]
        'marginal cut-off: 0.0625 pct Nd2O3'
        """
        cut = np.asarray(self.cutoff, dtype=float)
        shown = _fmt(float(cut)) if cut.ndim == 0 else (
            f"{_fmt(float(cut.min()))}-{_fmt(float(cut.max()))}")
        lines = [
            f"{self.kind} cut-off: {shown} {self.unit} {self.reference}",
            "terms: " + ", ".join(f"{k} {_span(v)}" for k, v in self.terms.items()),
            f"formula: {self.formula}",
        ]
        return "\n".join(lines + self._provenance_lines())

    def __repr__(self) -> str:
        return "CutoffGrade: " + "\n  ".join(_short(x, 100) for x in self.describe().splitlines())


_CUTOFF_FORMULA = (
    "g = C / (1000 x r x (P x y x (1 - k) - s)) as a mass fraction; C = {cost} "
    "(USD/t ore), P price (USD/kg), r recovery, y payability, k royalty, s selling cost "
    "(USD/kg recovered) [Lane 1988; Rendu 2014]"
)


def _cutoff(reference: Any, prices: Any, recovery: float, costs: dict[str, Any],
            payability: float, royalty_pct: float, selling_usd_kg: float, unit: str,
            kind: str) -> CutoffGrade:
    if isinstance(reference, BasketPrice):
        ref = reference.name
        price = reference.gross_usd_kg
        dates, sources = reference.price_dates, reference.price_sources
        name = ref.lower()
    else:
        if prices is None:
            raise InputError(
                "prices is required with an oxide reference (e.g. default_prices())"
            )
        table = _as_price_table(prices)
        ref = _oxide(reference, "reference")
        price = table.price(ref)
        dates, sources = (table.date(ref),), (table.source(ref),)
        name = ref.lower()
    r = float(_check_fraction(recovery, "recovery", low_open=True))
    y = float(_check_fraction(payability, "payability", low_open=True))
    k = _royalty(royalty_pct)
    s = float(_check_cost(selling_usd_kg, "selling_usd_kg"))
    checked = {key: _check_cost(val, key) for key, val in costs.items()}
    cost = sum(checked.values())
    margin = r * (price * y * (1.0 - k) - s)
    if not margin > 0:
        raise InputError(
            f"the net value per kg of {ref} in ore is {margin:.4g} USD "
            f"(price {price:g} x payability {y:g} x (1 - royalty {k:g}) - selling cost {s:g}, "
            f"times recovery {r:g}); it must be > 0 for a cut-off to exist"
        )
    unit = grade_unit(unit)
    frac = cost / (_KG_PER_T * margin)
    cut = np.asarray(convert_grade(frac, "fraction", unit), dtype=float)
    cut_out = float(cut) if cut.ndim == 0 else cut
    cost_out = float(cost) if np.ndim(cost) == 0 else np.asarray(cost)
    terms = {"recovery": r, "payability": y, "royalty_pct": 100.0 * k,
             "selling_usd_kg": s, **{key: (float(v) if v.ndim == 0 else v)
                                    for key, v in checked.items()}}
    return CutoffGrade(
        cutoff=cut_out,
        unit=unit,
        name=f"{name}_{unit_suffix(unit)}",
        reference=ref,
        kind=kind,
        cost_usd_t=cost_out,
        price_usd_kg=float(price),
        terms=MappingProxyType(terms),
        formula=_CUTOFF_FORMULA.format(cost=" + ".join(costs)),
        price_dates=tuple(dates),
        price_sources=tuple(sources),
    )


def breakeven_cutoff(
    reference: str | BasketPrice,
    prices: PriceTable | Mapping[str, float] | pd.DataFrame | None = None,
    *,
    recovery: float,
    mining_usd_t: float | np.ndarray,
    processing_usd_t: float | np.ndarray,
    ga_usd_t: float | np.ndarray = 0.0,
    payability: float = 1.0,
    royalty_pct: float = 0.0,
    selling_usd_kg: float = 0.0,
    unit: str = "pct",
) -> CutoffGrade:
    """
    Break-even cut-off grade: the grade at which a tonne of ore pays its full cost.

    Parameters
    ----------
    reference : str or BasketPrice
        The oxide the cut-off is on (``"Nd2O3"``, price from `prices`), or a
        :class:`BasketPrice` (e.g. the deposit's TREO): its gross price per kg
        (``gross_usd_kg``) is used and `recovery` must be given separately (its
        effective recovery is ``BasketPrice.recovery``).
    prices : PriceTable, DataFrame or mapping, optional
        Required with an oxide reference. Units: USD/kg of oxide.
    recovery : float
        Metallurgical recovery, fraction in (0, 1].
    mining_usd_t, processing_usd_t, ga_usd_t : float or array_like
        Mining, processing and general-and-administrative costs. Units: USD per
        tonne of ore. Arrays broadcast (a cut-off per cost scenario).
    payability : float, default 1.0
        Fraction of the price paid, in (0, 1].
    royalty_pct : float, default 0.0
        Royalty on revenue. Units: per cent.
    selling_usd_kg : float, default 0.0
        Selling costs (refining, transport, marketing). Units: USD per kg of
        recovered oxide.
    unit : str, default "pct"
        Grade unit of the cut-off (``"pct"``, ``"ppm"``...), oxide basis.

    Returns
    -------
    CutoffGrade

    Raises
    ------
    InputError
        A recovery or payability outside (0, 1], a negative cost, or a net value per
        kg that is not positive (no cut-off exists).

    Notes
    -----
    g = (c_mining + c_processing + c_G&A) / (1000 x r x (P y (1 - k) - s)), a mass
    fraction converted to `unit`: cost per tonne of ore over the net value of 1 kg
    of the reference oxide in the ore (Lane, 1988; Rendu, 2014). The selling cost s
    is per kg recovered, hence multiplied by r with the price.

    References
    ----------
    Lane, K.F. (1988). *The Economic Definition of Ore: Cut-off Grades in Theory and
    Practice*. Mining Journal Books, London.

    Rendu, J.-M. (2014). *An Introduction to Cut-off Grade Estimation*, 2nd ed.
    Society for Mining, Metallurgy, and Exploration, Englewood, CO.

    Examples
    --------
    >>> from raremin.economics import breakeven_cutoff, default_prices
    >>> c = breakeven_cutoff("Nd2O3", default_prices(), recovery=0.8, mining_usd_t=10.0,
    ...                      processing_usd_t=25.0, ga_usd_t=5.0, payability=0.95,
    ...                      royalty_pct=3.0, selling_usd_kg=2.0)
    >>> round(c.cutoff, 4), c.price_dates
    (0.1008, ('2024',))
    """
    costs = {"mining_usd_t": mining_usd_t, "processing_usd_t": processing_usd_t,
             "ga_usd_t": ga_usd_t}
    return _cutoff(reference, prices, recovery, costs, payability, royalty_pct,
                   selling_usd_kg, unit, "break-even")


def marginal_cutoff(
    reference: str | BasketPrice,
    prices: PriceTable | Mapping[str, float] | pd.DataFrame | None = None,
    *,
    recovery: float,
    processing_usd_t: float | np.ndarray,
    payability: float = 1.0,
    royalty_pct: float = 0.0,
    selling_usd_kg: float = 0.0,
    unit: str = "pct",
) -> CutoffGrade:
    """
    Marginal cut-off grade: material already mined pays its processing.

    Parameters
    ----------
    reference : str or BasketPrice
        As for :func:`breakeven_cutoff`.
    prices : PriceTable, DataFrame or mapping, optional
        Required with an oxide reference. Units: USD/kg of oxide.
    recovery : float
        Metallurgical recovery, fraction in (0, 1].
    processing_usd_t : float or array_like
        Processing cost. Units: USD per tonne of ore.
    payability, royalty_pct, selling_usd_kg, unit
        As for :func:`breakeven_cutoff`.

    Returns
    -------
    CutoffGrade

    Raises
    ------
    InputError
        As for :func:`breakeven_cutoff`.

    Notes
    -----
    g = c_processing / (1000 x r x (P y (1 - k) - s)): the break-even formula with the
    mining (sunk once the material is broken) and G&A costs left out, which decides
    whether mined material goes to the mill or to the waste dump (Lane, 1988; Rendu,
    2014). It is always at or below the break-even cut-off.

    Examples
    --------
    >>> from raremin.economics import marginal_cutoff
    >>> c = marginal_cutoff("Nd2O3", {"Nd2O3": 50.0}, recovery=0.8, processing_usd_t=20.0,
    ...                     unit="ppm")
    >>> c.cutoff, c.name
    (500.0, 'nd2o3_ppm')
    """
    costs = {"processing_usd_t": processing_usd_t}
    return _cutoff(reference, prices, recovery, costs, payability, royalty_pct,
                   selling_usd_kg, unit, "marginal")

