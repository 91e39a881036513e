"""
Monte Carlo of the total ore and contained tonnage in the undiscovered deposits of a tract.

The third step of the three-part method (Singer and Menzie, 2010): draw the number of
undiscovered deposits from its probability mass function, give each deposit an ore
tonnage from the :class:`~raremin.undiscovered.tonnage.TonnageModel` and grades from the
:class:`~raremin.undiscovered.grades.GradeModel`, and add up per simulation.
:func:`simulate_totals` does all simulations at once: one draw of the counts, one of
the tonnages and one of the grades of all deposits, then per-simulation sums.

Examples
--------
>>> from raremin.undiscovered.tonnage import TonnageModel
>>> from raremin.undiscovered.totals import simulate_totals
>>> tonnage = TonnageModel().fit([2e6, 5e6, 1e7, 3e7, 8e7])
>>> result = simulate_totals([0.2, 0.5, 0.3], tonnage, None, 1000, seed=1)
>>> result.totals.columns.tolist()
['n_deposits', 'ore_t']
>>> round(float(result.totals.n_deposits.mean()), 2)
1.09
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError
from ..uncertainty import p_values
from .grades import GradeModel
from .tonnage import TonnageModel

__all__ = ["SUMMARY_LEVELS", "Totals", "simulate_totals"]

#: The P-labels of :meth:`Totals.summary`: P95 is the 0.05 quantile ... P5 the 0.95
#: quantile (the quantiles MapMark4 reports, 0.05 to 0.95; raremin.uncertainty labels).
SUMMARY_LEVELS: tuple[str, ...] = ("P95", "P90", "P75", "P50", "P25", "P10", "P5")


def _as_pmf(count: Any) -> np.ndarray:
    """The pmf of the number of deposits, from a CountPmf-like object or an array."""
    values = getattr(count, "pmf", count)
    try:
        pmf = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as err:
        raise InputError(f"count must have a .pmf or be a pmf array (probability of 0, 1, "
                         f"2, ... deposits); got {type(count).__name__} ({err})") from None
    if pmf.ndim != 1 or pmf.size == 0:
        raise InputError(f"the count pmf must be 1-D and non-empty (index = number of "
                         f"deposits); got shape {pmf.shape}")
    bad = ~np.isfinite(pmf) | (pmf < 0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InputError(f"the count pmf must be finite and >= 0; got {pmf[k]} for {k} "
                         f"deposits")
    if abs(pmf.sum() - 1.0) > 1e-9:
        raise InputError(f"the count pmf sums to {pmf.sum()!r}, not 1 (within 1e-9); "
                         f"normalise it (pmf / pmf.sum()) or check the probabilities")
    return pmf


@dataclass(frozen=True, repr=False)
class Totals:
    """
    The outcome of :func:`simulate_totals`: totals per simulation and their summaries.

    Parameters
    ----------
    totals : pandas.DataFrame
        One row per simulation: ``n_deposits``, ``ore_t`` (total ore, t) and, with a
        grade model, ``<name>_t`` (total contained tonnes of each component).
    count_pmf : numpy.ndarray
        The pmf of the number of deposits used.
    tonnage : TonnageModel
        The tonnage model used.
    grades : GradeModel or None
        The grade model used.
    deposits : pandas.DataFrame or None
        Every simulated deposit (``simulation``, ``ore_t``, ``<name>_pct``,
        ``<name>_t``) when asked for with ``keep_deposits=True``.
    moment_draws : int
        Draws of the grade model used for the grade moments of :meth:`analytic`.
    moment_seed : numpy.random.SeedSequence
        Seed of those draws (spawned from the simulation's seed).

    Examples
    --------
    >>> from raremin.undiscovered.tonnage import TonnageModel
    >>> from raremin.undiscovered.totals import simulate_totals
    >>> simulate_totals([0, 0, 1], TonnageModel.fixed(1e6), None, 10, seed=0)
    Totals(10 simulations, E[N]=2, quantities=['ore_t'], P(0)=0)
    """

    totals: pd.DataFrame
    count_pmf: np.ndarray
    tonnage: TonnageModel
    grades: GradeModel | None = None
    deposits: pd.DataFrame | None = None
    moment_draws: int = 200_000
    moment_seed: np.random.SeedSequence = field(default_factory=np.random.SeedSequence)

    @property
    def quantities(self) -> list[str]:
        """
        The tonnage columns of `totals` (all but ``n_deposits``).

        Examples
        --------
        >>> from raremin.undiscovered.grades import GradeModel
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> from raremin.undiscovered.totals import simulate_totals
        >>> g = GradeModel.fixed([1.0], names=["Cu"])
        >>> simulate_totals([0, 1], TonnageModel.fixed(1e6), g, 5, seed=0).quantities
        ['ore_t', 'Cu_t']
        """
        return [c for c in self.totals.columns if c != "n_deposits"]

    @property
    def count_mean(self) -> float:
        """
        ``E[N]``, the mean number of deposits of the pmf.

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> from raremin.undiscovered.totals import simulate_totals
        >>> simulate_totals([0.5, 0.5], TonnageModel.fixed(1.0), None, 2, seed=0).count_mean
        0.5
        """
        k = np.arange(self.count_pmf.size)
        return float(np.sum(k * self.count_pmf))

    @property
    def count_var(self) -> float:
        """
        ``Var[N]``, the variance of the number of deposits of the pmf.

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> from raremin.undiscovered.totals import simulate_totals
        >>> simulate_totals([0.5, 0.5], TonnageModel.fixed(1.0), None, 2, seed=0).count_var
        0.25
        """
        k = np.arange(self.count_pmf.size)
        return float(np.sum(k * k * self.count_pmf) - self.count_mean ** 2)

    def _deposit_moments(self) -> tuple[np.ndarray, np.ndarray]:
        """Mean vector and second-moment matrix of one deposit's [ore, contained...]."""
        m1, m2 = self.tonnage.moment(1), self.tonnage.moment(2)
        if self.grades is None:
            return np.array([m1]), np.array([[m2]])
        if self.grades.method_ == "fixed":
            frac = self.grades.sample(1)[0] / 100.0
            u = np.concatenate([[1.0], frac])[None, :]
        else:
            rng = np.random.default_rng(self.moment_seed)
            frac = self.grades.sample(self.moment_draws, rng) / 100.0
            u = np.column_stack([np.ones(frac.shape[0]), frac])
        return m1 * u.mean(axis=0), m2 * (u.T @ u) / u.shape[0]

    def analytic(self) -> tuple[pd.Series, pd.DataFrame]:
        """
        Mean and covariance of the totals from the compound-sum formulas.

        Returns
        -------
        mean : pandas.Series
            ``E[N] E[Y]`` per quantity. Units: t.
        cov : pandas.DataFrame
            ``E[N] Cov[Y] + Var[N] E[Y] E[Y]^T``. Units: t**2.

        Notes
        -----
        ``Y = T (1, g_1 / 100, ..., g_k / 100)`` are one deposit's ore and contained
        tonnes; ``N`` deposits are independent of each other and of ``N``, and ``T`` of
        the grades, as in the simulation (Ellefsen, 2017, who gives the same formulas).
        The total ``S = sum Y`` then has ``E[S] = E[N] E[Y]`` and ``Cov[S] = E[N] Cov[Y]
        + Var[N] E[Y] E[Y]^T``; for the ore alone ``Var = E[N] Var[T] + Var[N] E[T]^2``.
        ``E[T]`` and ``E[T^2]`` are the closed forms of the tonnage model
        (:meth:`TonnageModel.moment`); the grade moments ``E[g]`` and ``E[g g^T]`` have no
        closed form under the logistic-normal model and are the means over
        `moment_draws` draws of the grade model (a stream of its own, seeded from the
        simulation's seed; exact for a fixed grade model).

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> from raremin.undiscovered.totals import simulate_totals
        >>> res = simulate_totals([0.5, 0.5], TonnageModel.fixed(4.0), None, 10, seed=0)
        >>> mean, cov = res.analytic()
        >>> float(mean["ore_t"]), float(cov.loc["ore_t", "ore_t"])
        (2.0, 4.0)
        """
        mu, second = self._deposit_moments()
        cov_y = second - np.outer(mu, mu)
        cov = self.count_mean * cov_y + self.count_var * np.outer(mu, mu)
        names = self.quantities
        return (pd.Series(self.count_mean * mu, index=names, name="analytic_mean"),
                pd.DataFrame(cov, index=names, columns=names))

    def summary(self) -> pd.DataFrame:
        """
        Quantiles, mean, probability of zero and of exceeding the mean, per quantity.

        Returns
        -------
        pandas.DataFrame
            One row per quantity (``ore_t``, ``<name>_t``); columns ``P95``, ``P90``,
            ``P75``, ``P50``, ``P25``, ``P10``, ``P5`` (``Pxx`` has an xx % chance of being
            met or exceeded: P90 is the 0.10 quantile, raremin.uncertainty), ``mean`` and
            ``std`` of the simulations, ``p_zero`` (fraction of simulations with a total
            of 0), ``p_exceed_mean`` (fraction above the simulated mean),
            ``analytic_mean`` and ``analytic_std`` (:meth:`analytic`). Units: t.

        Notes
        -----
        MapMark4 reports the same table (its ``Q_0.05`` ... ``Q_0.95`` are ``P95`` ...
        ``P5`` here); quantiles are numpy's ``"linear"`` method, R's default type 7.

        Examples
        --------
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> from raremin.undiscovered.totals import simulate_totals
        >>> res = simulate_totals([0.5, 0, 0.5], TonnageModel.fixed(1e6), None, 1000, seed=0)
        >>> res.summary().loc["ore_t", ["P90", "P10", "p_zero", "analytic_mean"]].tolist()
        [0.0, 2000000.0, 0.504, 1000000.0]
        """
        data = self.totals[self.quantities]
        table = p_values(data, labels=SUMMARY_LEVELS).T
        values = data.to_numpy()
        mean = values.mean(axis=0)
        table["mean"] = mean
        table["std"] = values.std(axis=0, ddof=1) if values.shape[0] > 1 else np.nan
        table["p_zero"] = (values == 0).mean(axis=0)
        table["p_exceed_mean"] = (values > mean).mean(axis=0)
        a_mean, a_cov = self.analytic()
        table["analytic_mean"] = a_mean
        table["analytic_std"] = np.sqrt(np.clip(np.diag(a_cov.to_numpy()), 0.0, None))
        table.index.name = "quantity"
        return table

    def correlations(self, analytic: bool = False) -> pd.DataFrame:
        """
        Correlations between the totals (ore and each component).

        Parameters
        ----------
        analytic : bool, default False
            From the simulations (default) or from the covariance of :meth:`analytic`.

        Returns
        -------
        pandas.DataFrame
            Square, indexed by quantity; NaN where a total does not vary.

        Examples
        --------
        >>> from raremin.undiscovered.grades import GradeModel
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> from raremin.undiscovered.totals import simulate_totals
        >>> g = GradeModel.fixed([1.0], names=["Cu"])
        >>> res = simulate_totals([0.2, 0.3, 0.5], TonnageModel.fixed(1e6), g, 500, seed=0)
        >>> round(float(res.correlations().loc["ore_t", "Cu_t"]), 6)
        1.0
        """
        if analytic:
            cov = self.analytic()[1]
            sd = np.sqrt(np.diag(cov.to_numpy()))
            with np.errstate(invalid="ignore", divide="ignore"):
                corr = cov.to_numpy() / np.outer(sd, sd)
            return pd.DataFrame(corr, index=cov.index, columns=cov.columns)
        return self.totals[self.quantities].corr()

    def plot(self, column: str = "ore_t", ax: Any = None) -> Any:
        """
        Exceedance curve of one total: the probability of at least each tonnage.

        Parameters
        ----------
        column : str, default "ore_t"
            A quantity of `totals` (``"ore_t"`` or ``"<name>_t"``).
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.

        Returns
        -------
        matplotlib.axes.Axes
            Step curve on a log tonnage axis (zero totals cannot be shown there; their
            probability is in the legend), with the mean as a dashed line.

        See Also
        --------
        raremin.plotting.plot_totals : the function that draws it.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from raremin.undiscovered.tonnage import TonnageModel
        >>> from raremin.undiscovered.totals import simulate_totals
        >>> tonnage = TonnageModel().fit([2e6, 5e6, 1e7, 3e7, 8e7])
        >>> ax = simulate_totals([0.2, 0.5, 0.3], tonnage, None, 200, seed=1).plot()
        >>> ax.get_xscale(), len(ax.lines)
        ('log', 2)
        """
        from ..plotting import plot_totals

        return plot_totals(self, column, ax)

    def __repr__(self) -> str:
        p0 = float((self.totals["n_deposits"] == 0).mean()) if len(self.totals) else math.nan
        return (f"Totals({len(self.totals)} simulations, E[N]={self.count_mean:g}, "
                f"quantities={self.quantities}, P(0)={p0:g})")

    def _repr_html_(self) -> str:
        import pandas as pd

        from .._display import text_html, tonnes

        rows = []
        for column in self.quantities[:12]:
            values = self.totals[column].to_numpy(dtype=float)
            p90, p50, p10 = np.quantile(values, [0.1, 0.5, 0.9]) if values.size else [np.nan] * 3
            rows.append({"quantity": column, "mean": tonnes(values.mean()),
                         "P90": tonnes(p90), "P50": tonnes(p50), "P10": tonnes(p10)})
        return text_html("Undiscovered totals", repr(self), pd.DataFrame(rows))


def simulate_totals(
    count: Any,
    tonnage: TonnageModel,
    grades: GradeModel | None,
    n: int = 20_000,
    *,
    seed: int | np.random.SeedSequence | None = None,
    keep_deposits: bool = False,
    moment_draws: int = 200_000,
) -> Totals:
    """
    Simulate the total ore and contained tonnage of the undiscovered deposits.

    Parameters
    ----------
    count : CountPmf or array_like
        The number of undiscovered deposits: an object with a ``.pmf`` attribute, or the
        pmf itself (index = number of deposits, 0, 1, 2, ...; sums to 1 within 1e-9).
    tonnage : TonnageModel
        Fitted ore tonnage model (or a contained-metal tonnage model with no grades).
    grades : GradeModel or None
        Fitted grade model; None for tonnage only.
    n : int, default 20000
        Number of simulations (MapMark4's default; it warns below 2500).
    seed : int or numpy.random.SeedSequence, optional
        Seed of the simulation; the same seed gives the same totals.
    keep_deposits : bool, default False
        Also keep every simulated deposit in ``Totals.deposits``.
    moment_draws : int, default 200000
        Draws of the grade model for the grade moments of :meth:`Totals.analytic`
        (drawn only when asked for).

    Returns
    -------
    Totals
        ``totals``: one row per simulation with ``n_deposits``, ``ore_t`` and
        ``<name>_t`` (contained tonnes, ``sum ore_t x grade / 100``). Units: t.

    Raises
    ------
    InputError
        A pmf that is not a 1-D array of probabilities summing to 1; an unfitted or
        wrong model; `n` not a positive integer.

    Notes
    -----
    Vectorised: the counts of all `n` simulations are drawn at once (inverse cdf of the
    pmf), then the tonnages and grades of all ``sum(counts)`` deposits in one draw each
    (tonnage and grades independent, as in MapMark4's ``Simulation``; Ellefsen, 2017),
    and per-simulation sums come from one ``numpy.add.reduceat`` over the deposits.
    Random numbers come from ``numpy.random.default_rng(seed)`` in that order (counts,
    tonnages, grades).

    References
    ----------
    Singer, D.A. and Menzie, W.D. (2010). *Quantitative Mineral Resource Assessments*.
    Oxford University Press, ch. 6.

    Examples
    --------
    >>> from raremin.undiscovered.grades import GradeModel
    >>> from raremin.undiscovered.tonnage import TonnageModel
    >>> from raremin.undiscovered.totals import simulate_totals
    >>> tonnage = TonnageModel().fit([2e6, 5e6, 1e7, 3e7, 8e7])
    >>> grades = GradeModel().fit([[0.5, 0.02], [0.8, 0.05], [0.3, 0.01], [0.6, 0.03]],
    ...                           names=["Cu", "Mo"])
    >>> res = simulate_totals([0.1, 0.3, 0.4, 0.2], tonnage, grades, 2000, seed=7)
    >>> res.totals.columns.tolist()
    ['n_deposits', 'ore_t', 'Cu_t', 'Mo_t']
    >>> s = res.summary()
    >>> round(float(s.loc["ore_t", "mean"] / s.loc["ore_t", "analytic_mean"]), 2)
    1.0
    """
    pmf = _as_pmf(count)
    if not isinstance(tonnage, TonnageModel) or tonnage.method_ is None:
        raise InputError(f"tonnage must be a fitted TonnageModel; got {tonnage!r}")
    if grades is not None and (not isinstance(grades, GradeModel) or grades.method_ is None):
        raise InputError(f"grades must be a fitted GradeModel or None; got {grades!r}")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise InputError(f"n (number of simulations) must be an integer >= 1; got {n!r}")
    if (isinstance(moment_draws, bool) or not isinstance(moment_draws, (int, np.integer))
            or moment_draws < 1):
        raise InputError(f"moment_draws must be an integer >= 1; got {moment_draws!r}")
    n = int(n)
    seq = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)
    main_seq, moment_seq = seq.spawn(2)
    rng = np.random.default_rng(main_seq)

    cdf = np.cumsum(pmf)
    counts = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    counts = np.minimum(counts, pmf.size - 1).astype(np.int64)
    total = int(counts.sum())
    ore = tonnage.sample(total, rng)
    names = [] if grades is None else list(grades.names_)
    if grades is not None:
        grade_pct = grades.sample(total, rng)
        per_deposit = np.column_stack([ore, ore[:, None] * (grade_pct / 100.0)])
    else:
        grade_pct = np.empty((0, 0))
        per_deposit = ore[:, None]
    sums = np.zeros((n, per_deposit.shape[1]))
    has = counts > 0
    if total:
        starts = (np.cumsum(counts) - counts)[has]
        sums[has] = np.add.reduceat(per_deposit, starts, axis=0)
    columns = ["ore_t", *[f"{name}_t" for name in names]]
    totals = pd.DataFrame(sums, columns=columns)
    totals.insert(0, "n_deposits", counts)
    totals.index.name = "simulation"
    deposits = None
    if keep_deposits:
        deposits = pd.DataFrame({"simulation": np.repeat(np.arange(n), counts), "ore_t": ore})
        for j, name in enumerate(names):
            deposits[f"{name}_pct"] = grade_pct[:, j]
        for j, name in enumerate(names):
            deposits[f"{name}_t"] = per_deposit[:, j + 1]
    return Totals(totals=totals, count_pmf=pmf, tonnage=tonnage, grades=grades,
                  deposits=deposits, moment_draws=int(moment_draws), moment_seed=moment_seq)
