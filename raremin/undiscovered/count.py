"""
The number of undiscovered deposits: a probability mass function from expert estimates.

In the USGS three-part method (Singer and Menzie, 2010) each member of an assessment team
estimates the number of undiscovered deposits of a type in a permissive tract at three
levels of confidence: ``N90`` (a 90 % chance of at least that many deposits), ``N50`` and
``N10``, so ``N90 <= N50 <= N10``. :func:`count_pmf` turns a table of such estimates (one
row per expert, with a weight) into a :class:`CountPmf`, the probability of 0, 1, 2, ...
deposits, which the simulation of total tonnage draws from.

Four constructions are offered:

- ``"negative_binomial"``: the negative binomial fitted to every expert at once, as
  MapMark4 does it (Ellefsen, 2017, USGS Techniques and Methods 7-C14).
- ``"mark3"``: the piecewise-uniform pmf of the older MARK3 program (Root and others,
  1992), one per expert, pooled with the weights.
- ``"poisson"``: a Poisson with the weighted mean of the experts' MARK3 means.
- ``"custom"``: a pmf given directly.

:func:`read_elicitation` reads and checks an elicitation table on its own.

Examples
--------
>>> import pandas as pd
>>> from raremin.undiscovered.count import count_pmf
>>> experts = pd.DataFrame({"Name": ["a", "b"], "Weight": [1.0, 1.0],
...                         "N90": [1, 2], "N50": [3, 4], "N10": [6, 8]})
>>> pmf = count_pmf(experts)
>>> pmf.method, round(float(pmf.pmf.sum()), 12)
('negative_binomial', 1.0)
>>> count_pmf(experts, "mark3").pmf.round(3).tolist()[:3]
[0.053, 0.087, 0.16]
"""

from __future__ import annotations

import dataclasses
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, stats

from ..errors import ConvergenceError, InputError

__all__ = ["METHODS", "CountPmf", "count_pmf", "read_elicitation"]

#: The constructions :func:`count_pmf` knows.
METHODS: tuple[str, ...] = ("negative_binomial", "mark3", "poisson", "custom")

#: Columns of an elicitation table, in MapMark4's order.
_COLUMNS: tuple[str, ...] = ("Name", "Weight", "N90", "N50", "N10")
_COUNTS: tuple[str, ...] = ("N90", "N50", "N10")

#: Chance that the number of deposits reaches N90, N50, N10.
_LEVELS = np.array([0.9, 0.5, 0.1])

#: How far the elicited sums of a custom pmf may stray from 1.
_SUM_TOL = 1e-9

#: Relative tolerance on the cost at which the Nelder-Mead refinement stops (the default
#: ``reltol`` of R's ``optim``, the square root of the double-precision epsilon).
_RELTOL = math.sqrt(np.finfo(float).eps)

#: Most cost evaluations of the refinement (R's ``optim`` default ``maxit`` for
#: Nelder-Mead, which MapMark4 uses).
_MAXFEV = 500


# -------------------------------------------------------------------------- elicitations
def read_elicitation(elicitation: Any, *, weights: Any = None) -> pd.DataFrame:
    """
    Read and check a table of expert estimates of the number of undiscovered deposits.

    Parameters
    ----------
    elicitation : DataFrame, mapping of columns, or path to a CSV file
        One row per expert with columns ``Name`` (optional), ``Weight`` (optional when
        `weights` is given), ``N90``, ``N50`` and ``N10``: the number of deposits with a
        90 %, 50 % and 10 % chance of being met or exceeded. Column names are matched
        without regard to case or surrounding spaces. Units: deposits.
    weights : array-like, optional
        One non-negative weight per expert; replaces the ``Weight`` column. Weights are
        relative (only their ratios matter). Units: none.

    Returns
    -------
    DataFrame
        Columns ``Name`` (str), ``Weight`` (float), ``N90``, ``N50``, ``N10`` (int64), one
        row per expert, in the input order. The input is not modified.

    Raises
    ------
    InputError
        A missing column or file, an empty table, a count that is missing, negative or not
        a whole number, an expert with ``N90 > N50`` or ``N50 > N10``, or weights that are
        negative, not finite, of the wrong length or all zero.

    Notes
    -----
    Counts of deposits are whole numbers: 3.0 is accepted, 2.5 is refused (MARK3 and the
    quantiles of the fitted pmf are integers). Experts of zero weight are kept in the
    table; every construction gives them no influence.

    Examples
    --------
    >>> from raremin.undiscovered.count import read_elicitation
    >>> table = read_elicitation({"n90": [1, 0], "n50": [2, 1], "n10": [4, 3]},
    ...                          weights=[2, 1])
    >>> table
          Name  Weight  N90  N50  N10
    0  expert1     2.0    1    2    4
    1  expert2     1.0    0    1    3
    """
    frame = _as_frame(elicitation)
    lookup = {str(col).strip().lower(): col for col in frame.columns}
    needed = [c for c in _COLUMNS[1:] if not (c == "Weight" and weights is not None)]
    missing = [c for c in needed if c.lower() not in lookup]
    if missing:
        raise InputError(
            f"the elicitation table lacks column(s) {missing}; it has {list(frame.columns)}. "
            f"Give columns Name, Weight, N90, N50, N10 (or pass weights=... for Weight)"
        )
    n = len(frame)
    if n == 0:
        raise InputError("the elicitation table has no rows; give one row per expert")
    if "name" in lookup:
        names = frame[lookup["name"]].astype(str).tolist()
    else:
        names = [f"expert{i + 1}" for i in range(n)]
    out = pd.DataFrame({"Name": names})
    w_source = weights if weights is not None else frame[lookup["weight"]]
    out["Weight"] = _check_weights(w_source, names)
    for col in _COUNTS:
        out[col] = _check_counts(frame[lookup[col.lower()]], col, names)
    order = (out["N90"] <= out["N50"]) & (out["N50"] <= out["N10"])
    if not order.all():
        i = int(np.flatnonzero(~order.to_numpy())[0])
        row = out.iloc[i]
        raise InputError(
            f"expert {row['Name']!r} (row {i + 1}) has N90={row['N90']}, N50={row['N50']}, "
            f"N10={row['N10']}, not in order; {int((~order).sum())} expert(s) are. N90 has a "
            f"90 % chance of being met or exceeded, so N90 <= N50 <= N10 is required"
        )
    return out


def _as_frame(elicitation: Any) -> pd.DataFrame:
    """The elicitation as a DataFrame (read from CSV when given a path)."""
    if isinstance(elicitation, (str, os.PathLike)):
        if not os.path.isfile(elicitation):
            raise InputError(
                f"elicitation file {os.fspath(elicitation)!r} does not exist; give the path "
                f"of a CSV file with columns Name, Weight, N90, N50, N10"
            )
        return pd.read_csv(elicitation)
    if isinstance(elicitation, pd.DataFrame):
        return elicitation
    if isinstance(elicitation, Mapping):
        try:
            return pd.DataFrame(dict(elicitation))
        except ValueError as err:
            raise InputError(f"cannot make a table of the elicitation mapping: {err}") from None
    raise InputError(
        f"elicitation must be a DataFrame, a mapping of columns or the path of a CSV file; "
        f"got {type(elicitation).__name__}"
    )


def _check_weights(values: Any, names: list[str]) -> np.ndarray:
    """Weights: one per expert, finite, >= 0, positive sum."""
    try:
        w = np.asarray(values, dtype=float).reshape(-1)
    except (TypeError, ValueError):
        raise InputError(f"weights must be numbers; got {values!r}") from None
    if w.shape[0] != len(names):
        raise InputError(
            f"weights must have one value per expert ({len(names)}); got {w.shape[0]}"
        )
    bad = ~np.isfinite(w) | (w < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"weight of expert {names[i]!r} (row {i + 1}) is {w[i]}; weights must be finite "
            f"and >= 0 ({int(bad.sum())} are not)"
        )
    if not w.sum() > 0:
        raise InputError(
            f"the weights {w.tolist()} sum to zero; give at least one expert a positive weight"
        )
    return w


def _check_counts(values: Any, column: str, names: list[str]) -> np.ndarray:
    """A column of counts: present, finite, >= 0, whole numbers."""
    arr = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    for bad, what in ((~np.isfinite(arr), "missing or not a finite number"),
                      (arr < 0, "negative"), (arr != np.round(arr), "not a whole number")):
        if bad.any():
            i = int(np.flatnonzero(bad)[0])
            raise InputError(
                f"{column} of expert {names[i]!r} (row {i + 1}) is {list(values)[i]!r}, "
                f"{what}; counts of deposits are whole numbers >= 0 "
                f"({int(bad.sum())} value(s) in {column} are {what})"
            )
    return arr.astype(np.int64)


# ------------------------------------------------------------------------------ the pmf
def _check_pmf(values: Any, name: str = "pmf") -> np.ndarray:
    """A 1-D, finite, non-negative pmf that sums to 1 within 1e-9, as a float array."""
    try:
        pmf = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise InputError(f"{name} must be numbers; got {values!r}") from None
    if pmf.ndim != 1 or pmf.size == 0:
        raise InputError(
            f"{name} must be a non-empty 1-D array (index = number of deposits); got shape "
            f"{pmf.shape}"
        )
    bad = ~np.isfinite(pmf) | (pmf < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"{name}[{i}] = {pmf[i]}; probabilities must be finite and >= 0 "
            f"({int(bad.sum())} are not)"
        )
    total = float(pmf.sum())
    if abs(total - 1.0) > _SUM_TOL:
        raise InputError(
            f"{name} sums to {total!r}, not 1 (tolerance {_SUM_TOL:g}); divide it by its sum "
            f"if the values are relative probabilities"
        )
    return pmf


@dataclasses.dataclass(frozen=True, eq=False, repr=False)
class CountPmf:
    """
    Probability mass function of the number of undiscovered deposits.

    Parameters
    ----------
    pmf : array-like
        Probabilities of 0, 1, ..., n_max deposits: finite, >= 0, summing to 1 within
        1e-9. Stored as a read-only float array. Units: probability.
    method : str
        How the pmf was made (one of :data:`METHODS`).
    parameters : dict
        The fitted or given parameters and the bookkeeping of the construction (see
        :func:`count_pmf`).
    elicitation : DataFrame or None
        The checked elicitation the pmf came from, if any.

    Notes
    -----
    ``mean = sum(n p_n)``, ``var = sum(n^2 p_n) - mean^2``, ``entropy = -sum(p_n ln p_n)``
    in nats (natural logarithm, as MapMark4's summary; terms with ``p_n = 0`` count 0).
    ``mode`` is the smallest most probable count.

    Examples
    --------
    >>> from raremin.undiscovered.count import CountPmf
    >>> pmf = CountPmf([0.2, 0.5, 0.3], method="custom")
    >>> pmf.mean, round(pmf.var, 12), pmf.mode, pmf.p_zero
    (1.1, 0.49, 1, 0.2)
    """

    pmf: np.ndarray
    method: str = "custom"
    parameters: dict = dataclasses.field(default_factory=dict)
    elicitation: pd.DataFrame | None = None

    def __post_init__(self) -> None:
        pmf = _check_pmf(self.pmf).copy()
        pmf.setflags(write=False)
        object.__setattr__(self, "pmf", pmf)
        object.__setattr__(self, "parameters", dict(self.parameters))
        if self.method not in METHODS:
            raise InputError(f"unknown method {self.method!r}; use one of {METHODS}")

    # ---------------------------------------------------------------- summary statistics
    @property
    def n_max(self) -> int:
        """
        Largest number of deposits the pmf lists (its length minus one).

        Examples
        --------
        >>> from raremin.undiscovered.count import CountPmf
        >>> CountPmf([0.5, 0.5, 0.0]).n_max
        2
        """
        return self.pmf.size - 1

    @property
    def mean(self) -> float:
        """
        Expected number of deposits, ``sum(n p_n)``. Units: deposits.

        Examples
        --------
        >>> from raremin.undiscovered.count import CountPmf
        >>> CountPmf([0.5, 0.5]).mean
        0.5
        """
        return float(np.arange(self.pmf.size) @ self.pmf)

    @property
    def var(self) -> float:
        """
        Variance of the number of deposits. Units: deposits squared.

        Examples
        --------
        >>> from raremin.undiscovered.count import CountPmf
        >>> CountPmf([0.5, 0.5]).var
        0.25
        """
        n = np.arange(self.pmf.size)
        return float(((n - self.mean) ** 2) @ self.pmf)

    @property
    def std(self) -> float:
        """
        Standard deviation of the number of deposits. Units: deposits.

        Examples
        --------
        >>> from raremin.undiscovered.count import CountPmf
        >>> CountPmf([0.5, 0.5]).std
        0.5
        """
        return math.sqrt(self.var)

    @property
    def mode(self) -> int:
        """
        Most probable number of deposits (the smallest, on a tie).

        Examples
        --------
        >>> from raremin.undiscovered.count import CountPmf
        >>> CountPmf([0.25, 0.5, 0.25]).mode
        1
        """
        return int(np.argmax(self.pmf))

    @property
    def entropy(self) -> float:
        """
        Shannon entropy ``-sum(p ln p)`` in nats (natural logarithm, as in MapMark4).

        Examples
        --------
        >>> from raremin.undiscovered.count import CountPmf
        >>> round(CountPmf([0.5, 0.5]).entropy, 6)
        0.693147
        """
        p = self.pmf[self.pmf > 0]
        return float(-(p @ np.log(p)))

    @property
    def p_zero(self) -> float:
        """
        Probability of no deposit at all.

        Examples
        --------
        >>> from raremin.undiscovered.count import CountPmf
        >>> CountPmf([0.1, 0.9]).p_zero
        0.1
        """
        return float(self.pmf[0])

    # ---------------------------------------------------------------------------- uses
    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """
        Draw numbers of deposits from the pmf.

        Parameters
        ----------
        n : int
            How many draws (>= 0).
        rng : numpy Generator or int seed or None
            Source of randomness (``np.random.default_rng(rng)``); give it for
            reproducible draws.

        Returns
        -------
        ndarray of int64, shape (n,)
            Numbers of deposits. Counts of zero probability are never drawn.

        Notes
        -----
        Inverse-cdf sampling: a uniform ``u`` in [0, 1) gives the smallest ``k`` with
        ``u < F(k)``, ``F`` the cumulative sum of the pmf scaled to end exactly at 1.

        Examples
        --------
        >>> from raremin.undiscovered.count import CountPmf
        >>> CountPmf([0.2, 0.0, 0.8]).sample(6, rng=1).tolist()
        [2, 2, 0, 2, 2, 2]
        """
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InputError(f"n must be a whole number >= 0; got {n!r}")
        generator = np.random.default_rng(rng)
        cdf = np.cumsum(self.pmf)
        last = int(np.flatnonzero(self.pmf)[-1])
        cdf = cdf / cdf[-1]
        cdf[last:] = 1.0
        draws = np.searchsorted(cdf, generator.random(int(n)), side="right")
        return draws.astype(np.int64)

    def table(self) -> pd.DataFrame:
        """
        The pmf as a table.

        Returns
        -------
        DataFrame
            Columns ``n_deposits``, ``probability``, ``cumulative`` = P(N <= n) and
            ``exceedance`` = P(N >= n) (the chance of at least n deposits, the sense of
            N90, N50, N10).

        Examples
        --------
        >>> from raremin.undiscovered.count import CountPmf
        >>> CountPmf([0.2, 0.5, 0.3]).table().round(3)
           n_deposits  probability  cumulative  exceedance
        0           0          0.2         0.2         1.0
        1           1          0.5         0.7         0.8
        2           2          0.3         1.0         0.3
        """
        cumulative = np.cumsum(self.pmf)
        exceedance = np.cumsum(self.pmf[::-1])[::-1]
        return pd.DataFrame({
            "n_deposits": np.arange(self.pmf.size, dtype=np.int64),
            "probability": self.pmf.copy(),
            "cumulative": cumulative,
            "exceedance": exceedance,
        })

    def plot(self, ax: Any = None) -> Any:
        """
        Bar chart of the pmf.

        Parameters
        ----------
        ax : matplotlib Axes, optional
            Where to draw; a new figure when None. Nothing is shown or saved.

        Returns
        -------
        matplotlib Axes

        See Also
        --------
        raremin.plotting.plot_count_pmf : the function that draws it.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from raremin.undiscovered.count import CountPmf
        >>> ax = CountPmf([0.2, 0.5, 0.3]).plot()
        >>> len(ax.patches), ax.get_xlabel()
        (3, 'Number of undiscovered deposits')
        """
        from ..plotting import plot_count_pmf

        return plot_count_pmf(self, ax)

    def __repr__(self) -> str:
        return (
            f"CountPmf(method={self.method!r}, n_deposits=0..{self.n_max}, "
            f"mean={self.mean:.4g}, var={self.var:.4g}, mode={self.mode}, "
            f"P(0)={self.p_zero:.3g})"
        )

    def _repr_html_(self) -> str:
        import html

        from .._display import _card

        lines = [
            f"method {html.escape(self.method)}; 0 to {self.n_max} deposits",
            f"mean {self.mean:.4g}, variance {self.var:.4g}, mode {self.mode}",
            f"P(0) {self.p_zero:.3g}; entropy {self.entropy:.4g} nats",
        ]
        return _card("Number of undiscovered deposits", lines)


# -------------------------------------------------------------------------- construction
def count_pmf(
    elicitation: Any,
    method: str = "negative_binomial",
    *,
    weights: Any = None,
    n_grid: int = 40,
    power: float = 1.0,
    refine: bool = True,
    tail_prob: float = 0.001,
) -> CountPmf:
    """
    The pmf of the number of undiscovered deposits from expert estimates.

    Parameters
    ----------
    elicitation : DataFrame, mapping, path to CSV, or (method "custom") a pmf
        The experts' estimates, read by :func:`read_elicitation` (columns Name, Weight,
        N90, N50, N10; units: deposits). For ``method="custom"``: the pmf itself, either
        an array of the probabilities of 0, 1, 2, ... deposits or a mapping / Series from
        number of deposits to probability (missing counts have probability 0); it must be
        non-negative and sum to 1 within 1e-9.
    method : {"negative_binomial", "mark3", "poisson", "custom"}
        The construction (see Notes).
    weights : array-like, optional
        One weight per expert, replacing the Weight column.
    n_grid : int
        Grid points per axis of the negative binomial grid search (MapMark4: 40).
    power : float
        Exponent of the absolute differences in the negative binomial cost (MapMark4: 1).
    refine : bool
        Refine the grid's best negative binomial by Nelder-Mead (MapMark4: yes).
    tail_prob : float
        Upper-tail probability at which the negative binomial and Poisson are truncated
        (MapMark4: 0.001), in (0, 1).

    Returns
    -------
    CountPmf
        ``parameters`` holds, for the negative binomial: ``size``, ``prob``, the
        untruncated ``nb_mean`` and ``nb_var``, the ``cost`` at the fit and the best
        ``grid_cost``, the fitted quantiles ``fit_N90``, ``fit_N50``, ``fit_N10``, the
        bounds ``lower_bound`` and ``upper_bound`` and the truncation bookkeeping
        (``tail_prob``, ``n_max``, ``upper_tail_mass``, ``n_low_dropped``,
        ``low_mass_dropped``); for the Poisson ``mu`` and the same bookkeeping; for MARK3
        ``n_experts``.

    Raises
    ------
    InputError
        Bad elicitation (see :func:`read_elicitation`), unknown method, bad pmf or option.
    ConvergenceError
        The Nelder-Mead refinement used 500 cost evaluations without settling (MapMark4
        stops there too); ``refine=False`` keeps the grid's best.

    Notes
    -----
    **Negative binomial** (after MapMark4's ``CalcNegBinomialPmf``, Ellefsen 2017). With
    weights ``w_k``, the bounds are the weighted means ``lo = sum(w N90) / sum(w)`` and
    ``up = sum(w N10) / sum(w)``. The grid has ``n_grid`` means evenly spaced from
    ``lo + 0.01`` to ``up`` and, for each mean ``m``, ``n_grid`` variances evenly spaced from
    ``m + 0.01`` to ``(up - lo)**2`` (R's ``seq``: a decreasing run when ``(up - lo)**2 <
    m + 0.01``). A point gives ``prob = m / v`` and ``size = m prob / (1 - prob)`` (R's
    ``dnbinom(size, prob)``, scipy's ``nbinom(n=size, p=prob)``, mean ``m``, variance
    ``v``). Only points with ``m > 0`` and ``v > m`` (so ``0 < prob < 1``) are kept; the
    others have no negative binomial (MapMark4's cost there is NaN, which its
    ``which.min`` skips). The first variance of each mean is ``m + 0.01 > m``, so a valid
    point always exists. The cost of a point is
    ``sum_k w_k sum_j |q_j - N_kj|**power`` over the experts and ``j`` = 90, 50, 10, with
    ``q_j`` the upper-tail quantile, the smallest ``x`` with ``P(N > x) <= j / 100``
    (R's ``qnbinom(..., lower.tail = FALSE)``). The grid is evaluated at once (grid x
    experts broadcast) and its first minimum in R's column-major order is taken. That
    ``(prob, size)`` starts a Nelder-Mead search (scipy) on the same cost, with R
    ``optim``'s initial simplex (a step of 0.1 times the larger parameter added to each)
    and stopping rule (costs of the simplex equal to a relative 1.5e-8, at most 500
    evaluations); outside ``0 < prob < 1``, ``size > 0`` the cost is infinite. The
    refined cost is never above the grid's. Experts of zero weight take no part.

    **Truncation** (negative binomial and Poisson, as MapMark4): ``n_max`` is the smallest
    ``x`` with ``P(N > x) <= tail_prob``; the pmf is kept on ``0..n_max``; counts whose
    probability is below that of ``n_max`` (a far lower tail) are set to 0; the rest is
    divided by its sum. So the dropped upper tail is at most ``tail_prob`` and the tail
    beyond ``n_max - 1`` is above it.

    **MARK3** (Root and others, 1992, the construction of MARK3B as kept in MapMark4's
    early Fortran ``Mark3Pmf``). Per expert: 10 % of the probability is spread on
    ``0..N90`` (weight 2 on ``0..N90-1``, 1 on ``N90``; all at 0 when ``N90 = 0``); 40 % on
    ``N90..N50`` and 40 % on ``N50..N10`` (weight 1 at both ends, 2 strictly between; all
    at one point when the ends agree); the last 10 % at ``N10``. The experts' pmfs are
    averaged with the weights (a linear opinion pool); one expert gives MARK3's own pmf.

    **Poisson**: mean ``mu`` = weighted mean of the experts' implied means, an expert's
    implied mean being the mean of their MARK3 pmf (so ``mu`` is the mean of the pooled
    MARK3 pmf); truncated as above. ``mu = 0`` gives all probability to 0 deposits.

    References: Singer, D.A., and Menzie, W.D., 2010, Quantitative mineral resource
    assessments, Oxford University Press. Ellefsen, K.J., 2017, User's guide for MapMark4,
    USGS Techniques and Methods 7-C14. Root, D.H., Menzie, W.D., and Scott, W.A., 1992,
    Computer Monte Carlo simulation in quantitative resource estimation, Nonrenewable
    Resources 1(2), 125-138.

    Examples
    --------
    >>> from raremin.undiscovered.count import count_pmf
    >>> experts = {"Name": ["one"], "Weight": [1.0], "N90": [1], "N50": [2], "N10": [4]}
    >>> count_pmf(experts, "mark3").pmf.round(3).tolist()
    [0.067, 0.233, 0.3, 0.2, 0.2]
    >>> pois = count_pmf(experts, "poisson")
    >>> round(pois.parameters["mu"], 4), pois.n_max
    (2.2333, 8)
    >>> nb = count_pmf(experts)
    >>> nb.parameters["fit_N90"], nb.parameters["fit_N50"], nb.parameters["fit_N10"]
    (1, 2, 4)
    >>> count_pmf({0: 0.25, 2: 0.75}, "custom").pmf.tolist()
    [0.25, 0.0, 0.75]
    """
    if method not in METHODS:
        raise InputError(f"unknown method {method!r}; use one of {METHODS}")
    if method == "custom":
        return CountPmf(_custom_pmf(elicitation), method="custom",
                        parameters={})
    tail_prob = _check_tail_prob(tail_prob)
    table = read_elicitation(elicitation, weights=weights)
    counts = table[list(_COUNTS)].to_numpy(dtype=np.int64)
    w = table["Weight"].to_numpy(dtype=float)
    if method == "mark3":
        pmf = w @ _mark3(counts) / w.sum()
        return CountPmf(pmf / pmf.sum(), method="mark3",
                        parameters={"n_experts": int((w > 0).sum())}, elicitation=table)
    if method == "poisson":
        mu = float(w @ (_mark3(counts) @ np.arange(counts.max() + 1)) / w.sum())
        if mu == 0.0:
            return CountPmf(np.ones(1), method="poisson", elicitation=table, parameters={
                "mu": 0.0, "tail_prob": tail_prob, "n_max": 0, "upper_tail_mass": 0.0,
                "n_low_dropped": 0, "low_mass_dropped": 0.0})
        pmf, info = _truncate(stats.poisson(mu), tail_prob)
        return CountPmf(pmf, method="poisson", parameters={"mu": mu, **info},
                        elicitation=table)
    n_grid = _check_n_grid(n_grid)
    power = float(power)
    if not (math.isfinite(power) and power > 0):
        raise InputError(f"power must be a finite number > 0; got {power!r}")
    fit = _fit_negative_binomial(counts, w, n_grid, power, bool(refine))
    pmf, info = _truncate(stats.nbinom(fit["size"], fit["prob"]), tail_prob)
    return CountPmf(pmf, method="negative_binomial", parameters={**fit, **info},
                    elicitation=table)


def _check_tail_prob(tail_prob: Any) -> float:
    try:
        value = float(tail_prob)
    except (TypeError, ValueError):
        value = math.nan
    if not 0.0 < value < 1.0:
        raise InputError(f"tail_prob must lie in (0, 1), e.g. 0.001; got {tail_prob!r}")
    return value


def _check_n_grid(n_grid: Any) -> int:
    if isinstance(n_grid, bool) or not isinstance(n_grid, (int, np.integer)) or n_grid < 2:
        raise InputError(f"n_grid must be a whole number >= 2 (MapMark4: 40); got {n_grid!r}")
    return int(n_grid)


def _custom_pmf(values: Any) -> np.ndarray:
    """A user's pmf: an array indexed by count, or a mapping count -> probability."""
    if isinstance(values, pd.Series):
        values = values.to_dict()
    if isinstance(values, Mapping):
        keys = list(values)
        try:
            counts = np.asarray(keys, dtype=float)
        except (TypeError, ValueError):
            raise InputError(
                f"the keys of a custom pmf are numbers of deposits; got {keys!r}"
            ) from None
        bad = ~np.isfinite(counts) | (counts < 0) | (counts != np.round(counts))
        if counts.size == 0 or bad.any():
            shown = keys[int(np.flatnonzero(bad)[0])] if bad.any() else keys
            raise InputError(
                f"the keys of a custom pmf must be whole numbers of deposits >= 0; got "
                f"{shown!r}"
            )
        probs = _check_pmf(np.asarray(list(values.values()), dtype=float), "custom pmf")
        pmf = np.zeros(int(counts.max()) + 1)
        np.add.at(pmf, counts.astype(np.int64), probs)
        return pmf
    if isinstance(values, (str, os.PathLike, pd.DataFrame)):
        raise InputError(
            "method 'custom' takes the pmf itself (an array of the probabilities of 0, 1, "
            "2, ... deposits, or a mapping from count to probability), not an elicitation"
        )
    return _check_pmf(values, "custom pmf")


def _mark3(counts: np.ndarray) -> np.ndarray:
    """
    The MARK3 pmf of every expert, shape (experts, max count + 1).

    `counts` is (experts, levels) with the counts for exceedance chances _LEVELS.
    """
    levels = _LEVELS[: counts.shape[1]]
    n = np.arange(counts.max() + 1)[None, :]
    t = counts.astype(float)
    # 0..N90: weight 2 below N90, 1 at N90; mass 1 - p_1 (all at 0 when N90 = 0).
    first = t[:, :1]
    pmf = (1 - levels[0]) * np.where(n < first, 2.0, np.where(n == first, 1.0, 0.0)) / (
        2 * first + 1
    )
    # Between thresholds: weight 1 at both ends, 2 strictly between; one point if equal.
    for j in range(1, levels.size):  # loop over the 2 (or more) levels, not over counts
        a, b = t[:, j - 1 : j], t[:, j : j + 1]
        mass = levels[j - 1] - levels[j]
        span = np.maximum(b - a, 1.0)
        inner = np.where((n > a) & (n < b), 2.0, 0.0) + (n == a) + (n == b)
        pmf += np.where(b > a, mass * inner / (2 * span), mass * (n == a))
    pmf += levels[-1] * (n == t[:, -1:])
    return pmf


def _upper_quantile(levels: np.ndarray, size: np.ndarray, prob: np.ndarray) -> np.ndarray:
    """
    Smallest x with P(N > x) <= level for a negative binomial, broadcast over the inputs.

    R's ``qnbinom(level, size, prob, lower.tail = FALSE)``; scipy's isf, checked by one
    step either way against the survival function so rounding in the inverse never moves
    the answer by one.
    """
    dist = stats.nbinom(size, prob)
    x = np.maximum(dist.isf(levels), 0.0)
    x = np.where(dist.sf(x) > levels, x + 1, x)
    below = np.maximum(x - 1, 0.0)
    return np.where((x > 0) & (dist.sf(below) <= levels), below, x)


def _nb_cost(prob: ArrayLike, size: ArrayLike, counts: np.ndarray, w: np.ndarray,
             power: float) -> tuple[np.ndarray, np.ndarray]:
    """Cost and fitted (N90, N50, N10) of every (prob, size); inf where invalid."""
    prob = np.asarray(prob, dtype=float)
    size = np.asarray(size, dtype=float)
    valid = (prob > 0) & (prob < 1) & (size > 0) & np.isfinite(size)
    safe_p = np.where(valid, prob, 0.5)[..., None]
    safe_n = np.where(valid, size, 1.0)[..., None]
    q = _upper_quantile(_LEVELS, safe_n, safe_p)  # (..., 3)
    diff = np.abs(q[..., None, :] - counts)  # (..., experts, 3)
    cost = np.einsum("...kj,k->...", diff**power, w)
    return np.where(valid, cost, np.inf), q


def _fit_negative_binomial(counts: np.ndarray, w: np.ndarray, n_grid: int, power: float,
                           refine: bool) -> dict[str, Any]:
    """Grid search then Nelder-Mead for the negative binomial (see count_pmf Notes)."""
    lo = float(w @ counts[:, 0] / w.sum())
    up = float(w @ counts[:, 2] / w.sum())
    keep = w > 0
    counts, w = counts[keep].astype(float), w[keep]
    means = np.linspace(lo + 0.01, up, n_grid)
    variances = np.linspace(means + 0.01, (up - lo) ** 2, n_grid, axis=1)  # (mean, var)
    m = means[:, None]
    ok = (m > 0) & (variances > m)
    prob = np.where(ok, m / np.where(ok, variances, 1.0), np.nan)
    size = m * prob / (1 - prob)
    grid_cost, _ = _nb_cost(prob, size, counts, w, power)
    # First minimum in column-major order, as R's which.min on a matrix.
    flat = int(np.argmin(grid_cost.ravel(order="F")))
    i, j = np.unravel_index(flat, grid_cost.shape, order="F")
    start = np.array([prob[i, j], size[i, j]])
    best_grid = float(grid_cost[i, j])
    x, best = start, best_grid
    if refine:
        def cost(params: np.ndarray) -> float:
            return float(_nb_cost(params[0], params[1], counts, w, power)[0])

        step = 0.1 * float(np.max(np.abs(start)))
        simplex = np.vstack([start, start + [step, 0.0], start + [0.0, step]])
        result = optimize.minimize(
            cost, start, method="Nelder-Mead",
            options={"initial_simplex": simplex, "xatol": np.inf, "maxfev": _MAXFEV,
                     "fatol": _RELTOL * (abs(best_grid) + _RELTOL)},
        )
        if not result.success:
            raise ConvergenceError(
                f"the Nelder-Mead refinement of the negative binomial did not settle in "
                f"{_MAXFEV} cost evaluations ({result.message}); pass refine=False to keep "
                f"the grid's best (cost {best_grid:g}) or change n_grid"
            )
        if result.fun <= best_grid:
            x, best = np.asarray(result.x, dtype=float), float(result.fun)
    p, n = float(x[0]), float(x[1])
    _, q = _nb_cost(p, n, counts, w, power)
    nb_mean = n * (1 - p) / p
    return {
        "size": n, "prob": p, "nb_mean": nb_mean, "nb_var": nb_mean / p,
        "cost": best, "grid_cost": best_grid,
        "fit_N90": int(q[0]), "fit_N50": int(q[1]), "fit_N10": int(q[2]),
        "lower_bound": lo, "upper_bound": up, "n_grid": n_grid, "power": power,
        "refined": refine,
    }


def _truncate(dist: Any, tail_prob: float) -> tuple[np.ndarray, dict[str, Any]]:
    """MapMark4's truncation of a count distribution (see count_pmf Notes)."""
    n_max = int(_upper_quantile_generic(dist, tail_prob))
    pmf = dist.pmf(np.arange(n_max + 1)).astype(float)
    low = pmf < pmf[-1]
    low_mass = float(pmf[low].sum())
    pmf[low] = 0.0
    return pmf / pmf.sum(), {
        "tail_prob": tail_prob, "n_max": n_max, "upper_tail_mass": float(dist.sf(n_max)),
        "n_low_dropped": int(low.sum()), "low_mass_dropped": low_mass,
    }


def _upper_quantile_generic(dist: Any, level: float) -> int:
    """Smallest x with P(N > x) <= level for a frozen scipy discrete distribution."""
    x = max(int(dist.isf(level)), 0)
    if dist.sf(x) > level:
        x += 1
    while x > 0 and dist.sf(x - 1) <= level:
        x -= 1
    return x
