"""
The grade model of the three-part method: the grades of one undiscovered deposit.

The grades of a deposit and its gangue (``100 % - sum of grades``) are parts of a
whole, a composition. :class:`GradeModel` maps the compositions of the known deposits
to isometric log-ratio (ilr) coordinates, fits a multivariate normal distribution (or a
Gaussian kernel density estimate) there and maps draws back, so every simulated deposit
has positive grades that add up with the gangue to exactly 100 % (Ellefsen, 2017, after
Pawlowsky-Glahn et al., 2015). :func:`ilr` and :func:`ilr_inverse` are the transform.

Examples
--------
>>> import numpy as np
>>> from raremin.undiscovered.grades import GradeModel
>>> known = np.array([[0.5, 0.02], [0.8, 0.05], [0.3, 0.01], [0.6, 0.03], [0.4, 0.04]])
>>> model = GradeModel().fit(known, names=["Cu", "Mo"])
>>> draws = model.sample(4, np.random.default_rng(0))
>>> draws.shape, bool(np.all(draws.sum(axis=1) < 100))
((4, 2), True)
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["GradeModel", "ilr", "ilr_basis", "ilr_inverse"]

_METHODS = ("normal", "kde")
_ZERO_RULES = ("multiplicative", "raise")


def ilr_basis(n_parts: int) -> np.ndarray:
    """
    The orthonormal ilr basis of pivot (Helmert-type) coordinates, as clr contrasts.

    Parameters
    ----------
    n_parts : int
        Number of parts ``D`` of the composition (>= 2).

    Returns
    -------
    numpy.ndarray
        Shape ``(D, D - 1)``; column ``i`` holds the log-contrast of coordinate ``i``.
        Its columns are orthonormal and sum to zero.

    Notes
    -----
    Coordinate ``i`` (from 0) balances part ``i`` against the geometric mean of the
    parts after it: ``z_i = sqrt(r / (r + 1)) ln(x_i / g(x_{i+1}, ..., x_{D-1}))`` with
    ``r = D - 1 - i`` (pivot coordinates; Egozcue et al., 2003; Fiserova and Hron,
    2011). Column ``i`` is ``sqrt(r / (r + 1))`` at row ``i``, ``-1 / sqrt(r (r + 1))``
    below it and 0 above. Any orthonormal basis gives the same fitted normal or kernel
    model (bases differ by a rotation), so MapMark4's choice (``compositions::ilrBase``)
    and this one agree on the grades they simulate.

    References
    ----------
    Egozcue, J.J., Pawlowsky-Glahn, V., Mateu-Figueras, G. and Barcelo-Vidal, C. (2003).
    Isometric logratio transformations for compositional data analysis. *Mathematical
    Geology* 35(3), 279-300.

    Fiserova, E. and Hron, K. (2011). On the interpretation of orthonormal coordinates
    for compositional data. *Mathematical Geosciences* 43(4), 455-468.

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.undiscovered.grades import ilr_basis
    >>> v = ilr_basis(3)
    >>> v.round(4)
    array([[ 0.8165,  0.    ],
           [-0.4082,  0.7071],
           [-0.4082, -0.7071]])
    >>> bool(np.allclose(v.T @ v, np.eye(2)))
    True
    """
    if isinstance(n_parts, bool) or not isinstance(n_parts, (int, np.integer)) or n_parts < 2:
        raise InputError(f"a composition needs at least 2 parts; got n_parts={n_parts!r}")
    d = int(n_parts)
    basis = np.zeros((d, d - 1))
    for i in range(d - 1):  # D - 1 columns, not a hot path
        r = d - 1 - i
        basis[i, i] = math.sqrt(r / (r + 1))
        basis[i + 1:, i] = -1.0 / math.sqrt(r * (r + 1))
    return basis


def ilr(composition: Any) -> np.ndarray:
    """
    Isometric log-ratio coordinates of compositions (parts along the last axis).

    Parameters
    ----------
    composition : array_like
        Shape ``(..., D)`` with ``D >= 2``; every part finite and > 0. Need not be closed
        (the coordinates do not depend on the total). Any units.

    Returns
    -------
    numpy.ndarray
        Shape ``(..., D - 1)``: ``ln(x) @ ilr_basis(D)``.

    Raises
    ------
    InputError
        Fewer than 2 parts, or a part that is zero, negative or not finite.

    Examples
    --------
    >>> from raremin.undiscovered.grades import ilr
    >>> ilr([1.0, 1.0, 1.0])
    array([0., 0.])
    >>> ilr([[2.0, 1.0]]).round(4)
    array([[0.4901]])
    """
    arr = np.asarray(composition, dtype=float)
    if arr.ndim < 1 or arr.shape[-1] < 2:
        raise InputError(f"a composition needs at least 2 parts on its last axis; got shape "
                         f"{arr.shape}")
    bad = ~np.isfinite(arr) | (arr <= 0)
    if np.any(bad):
        pos = tuple(int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"ilr needs every part > 0 and finite; got {arr[pos]} at {pos} "
                         f"({int(bad.sum())} bad part(s)); replace zeros first (e.g. "
                         f"GradeModel's zero_rule)")
    return np.log(arr) @ ilr_basis(arr.shape[-1])


def ilr_inverse(coords: Any, total: float = 1.0) -> np.ndarray:
    """
    Compositions from their ilr coordinates (the inverse of :func:`ilr`).

    Parameters
    ----------
    coords : array_like
        Shape ``(..., D - 1)``, D - 1 >= 1.
    total : float, default 1.0
        The sum of the parts of each returned composition (100 for percent).

    Returns
    -------
    numpy.ndarray
        Shape ``(..., D)``: ``total * C(exp(z @ V.T))`` with ``V = ilr_basis(D)`` and
        ``C`` the closure (division by the row sum).

    Examples
    --------
    >>> import numpy as np
    >>> from raremin.undiscovered.grades import ilr, ilr_inverse
    >>> x = np.array([0.5, 0.2, 0.3])
    >>> bool(np.allclose(ilr_inverse(ilr(x)), x, rtol=0, atol=1e-12))
    True
    >>> ilr_inverse([0.0], total=100.0)
    array([50., 50.])
    """
    z = np.asarray(coords, dtype=float)
    if z.ndim < 1 or z.shape[-1] < 1:
        raise InputError(f"ilr coordinates need a last axis of length >= 1; got shape "
                         f"{z.shape}")
    if not math.isfinite(total) or total <= 0:
        raise InputError(f"total must be finite and > 0; got {total!r}")
    clr = z @ ilr_basis(z.shape[-1] + 1).T
    clr -= clr.max(axis=-1, keepdims=True)
    parts = np.exp(clr)
    parts *= total / parts.sum(axis=-1, keepdims=True)
    return parts


def _row_label(index: Any, k: int) -> str:
    return f"row {k}" if index is None else f"row {k} (index {index[k]!r})"


def _psd_root(cov: np.ndarray) -> np.ndarray:
    """A matrix L with L @ L.T = cov, also for a singular covariance (eigendecomposition)."""
    vals, vecs = np.linalg.eigh(cov)
    return vecs * np.sqrt(np.clip(vals, 0.0, None))


class GradeModel:
    """
    The joint distribution of the grades of one undiscovered deposit.

    Construct it empty and :meth:`fit` it to the grades of known deposits, or make a
    degenerate model with :meth:`fixed`.

    Attributes
    ----------
    names_ : list of str
        Names of the k grade components (the gangue is the last part, not named here).
    method_ : str
        ``"normal"``, ``"kde"`` or ``"fixed"``.
    n_deposits_ : int
        Number of known deposits fitted.
    grades_pct_ : pandas.DataFrame
        The fitted grades, after zero replacement. Units: %.
    coords_ : numpy.ndarray
        ilr coordinates of the known compositions (grades and gangue), ``(n, k)``.
    mean_, cov_ : numpy.ndarray
        Mean ``(k,)`` and covariance ``(k, k)`` (divisor ``n - 1``) of `coords_`.
    bandwidth_ : float
        For ``"kde"``: the factor ``h``, kernel covariance ``h**2 cov_``; else NaN.
    zero_replacements_ : pandas.Series
        Number of zero grades replaced, per component.

    Notes
    -----
    A deposit's grades ``g_1..g_k`` (%) and gangue ``100 - sum g`` form a composition of
    ``D = k + 1`` parts; its ilr coordinates (:func:`ilr`) are modelled as multivariate
    normal (the default, Ellefsen, 2017) or by a Gaussian kernel density estimate with
    kernel covariance ``h**2 cov_`` and Scott's factor ``h = n**(-1 / (d + 4))``,
    ``d = k`` (Scott, 1992; MapMark4 uses the plug-in matrix of ``ks::Hpi`` and at most
    six grades; here any number). Draws map back with :func:`ilr_inverse` to grades
    that are positive and add up with the gangue to 100 %.

    Zero grades (log-ratios need positive parts) are replaced by the multiplicative rule
    of Martin-Fernandez et al. (2003): a zero of component ``j`` becomes
    ``delta_j = fraction x DL_j``, and the other parts of that deposit (gangue included)
    are scaled by ``1 - sum(delta) / 100`` so the deposit still totals 100 %; ``DL_j`` is
    the given detection limit or, by default, the smallest positive grade of ``j`` in
    the data, and ``fraction`` is 0.65 (their recommendation). Every replacement is
    counted in `zero_replacements_` and announced in one UserWarning. MapMark4 refuses
    zero grades.

    References
    ----------
    Martin-Fernandez, J.A., Barcelo-Vidal, C. and Pawlowsky-Glahn, V. (2003). Dealing
    with zeros and missing values in compositional data sets using nonparametric
    imputation. *Mathematical Geology* 35(3), 253-278.

    Ellefsen, K.J. (2017). User's guide for MapMark4. USGS Techniques and Methods 7-C14.

    Scott, D.W. (1992). *Multivariate Density Estimation*. Wiley, eq. 6.42.

    Examples
    --------
    >>> import pandas as pd
    >>> from raremin.undiscovered.grades import GradeModel
    >>> known = pd.DataFrame({"Cu": [0.5, 0.8, 0.3, 0.6], "Au": [2e-5, 5e-5, 1e-5, 3e-5]})
    >>> GradeModel().fit(known)
    GradeModel('normal', n_deposits=4, names=['Cu', 'Au'] + gangue, zeros replaced=0)
    """

    def __init__(self) -> None:
        self.method_: str | None = None
        self._fixed: np.ndarray = np.empty(0)  # the grades of a fixed model, %

    def fit(
        self,
        grades_pct: Any,
        *,
        names: Sequence[str] | None = None,
        method: str = "normal",
        zero_rule: str = "multiplicative",
        detection_limit_pct: Any = None,
        fraction: float = 0.65,
        bandwidth: float | None = None,
    ) -> GradeModel:
        """
        Fit the model to the grades of known deposits of one type.

        Parameters
        ----------
        grades_pct : array_like or pandas.DataFrame
            Grades, one row per deposit (at least 3) and one column per component
            (k >= 1). Units: %. Each row must sum to less than 100 %.
        names : sequence of str, optional
            Component names; default the DataFrame's columns, else ``"grade0"``, ...
        method : {"normal", "kde"}, default "normal"
            Multivariate normal or Gaussian kernel density in ilr coordinates.
        zero_rule : {"multiplicative", "raise"}, default "multiplicative"
            Replace zero grades (see Notes) or refuse them.
        detection_limit_pct : float or array_like, optional
            Detection limit of each component (or one for all). Units: %. Default: the
            smallest positive grade of each component in the data.
        fraction : float, default 0.65
            A zero becomes ``fraction x detection limit`` (0 < fraction < 1).
        bandwidth : float, optional
            Kernel factor ``h`` for ``"kde"`` (kernel covariance ``h**2 cov_``);
            default Scott's ``n**(-1 / (k + 4))``.

        Returns
        -------
        GradeModel
            This model, fitted.

        Raises
        ------
        InputError
            Fewer than 3 deposits; a grade NaN or negative; a deposit whose grades
            sum to 100 % or more (naming it); a zero with ``zero_rule="raise"``; a
            component that is zero in every deposit; an unknown method or rule.

        Examples
        --------
        >>> import warnings
        >>> from raremin.undiscovered.grades import GradeModel
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     m = GradeModel().fit([[1.0], [2.0], [0.0], [4.0]])
        >>> len(caught)
        1
        >>> int(m.zero_replacements_["grade0"]), round(float(m.grades_pct_.iloc[2, 0]), 3)
        (1, 0.65)
        """
        if isinstance(grades_pct, pd.DataFrame):
            values, index = grades_pct.to_numpy(), grades_pct.index
            default_names = [str(c) for c in grades_pct.columns]
        else:
            values, index, default_names = grades_pct, None, None
        try:
            arr = np.asarray(values, dtype=float)
        except (TypeError, ValueError) as err:
            raise InputError(f"grades_pct must be numeric grades in %; got {err}") from None
        if arr.ndim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] < 1:
            raise InputError(f"grades_pct must be a table (deposits x components); got shape "
                             f"{np.shape(values)}")
        n, k = arr.shape
        if n < 3:
            raise InputError(f"a grade model needs at least 3 known deposits; got {n}; add "
                             f"deposits or use GradeModel.fixed(grades_pct)")
        names = self._names(names, default_names, k)
        if method not in _METHODS:
            raise InputError(f"unknown grade model method {method!r}; use 'normal' or 'kde'")
        if zero_rule not in _ZERO_RULES:
            raise InputError(f"unknown zero_rule {zero_rule!r}; use one of {list(_ZERO_RULES)}")
        _check_table(arr, index, names)
        zero = arr == 0
        if zero.any() and zero_rule == "raise":
            r, c = (int(i) for i in np.argwhere(zero)[0])
            raise InputError(f"grade {names[c]!r} is 0 in {_row_label(index, r)} "
                             f"({int(zero.sum())} zero grade(s)); use zero_rule="
                             f"'multiplicative' or remove the deposit")
        if not 0 < fraction < 1:
            raise InputError(f"fraction must lie in (0, 1); got {fraction!r}")
        comp = np.column_stack([arr, 100.0 - arr.sum(axis=1)])
        counts = zero.sum(axis=0)
        if zero.any():
            comp = self._replace_zeros(comp, zero, names, detection_limit_pct, fraction)
            warnings.warn(f"GradeModel: replaced {int(zero.sum())} zero grade(s) in "
                          f"{int(zero.any(axis=1).sum())} deposit(s) by {fraction} x the "
                          f"detection limit (multiplicative replacement; per component: "
                          f"{dict(zip(names, counts.tolist(), strict=True))})",
                          UserWarning, stacklevel=2)
        coords = ilr(comp)
        cov = np.atleast_2d(np.cov(coords, rowvar=False, ddof=1))
        if method == "kde":
            if bandwidth is None:
                h = n ** (-1.0 / (k + 4))
            else:
                h = float(bandwidth)
                if not math.isfinite(h) or h <= 0:
                    raise InputError(f"bandwidth must be > 0; got {bandwidth!r}")
        elif bandwidth is not None:
            raise InputError(f"bandwidth={bandwidth!r} applies to method='kde' only")
        else:
            h = math.nan
        self.method_ = method
        self.names_ = names
        self.n_deposits_ = n
        self.grades_pct_ = pd.DataFrame(comp[:, :k], columns=names, index=index)
        self.coords_ = coords
        self.mean_ = coords.mean(axis=0)
        self.cov_ = cov
        self.bandwidth_ = h
        self.zero_replacements_ = pd.Series(counts, index=names, name="zeros_replaced")
        self._root = _psd_root(cov if method == "normal" else h * h * cov)
        return self

    @staticmethod
    def _names(names: Any, default: list[str] | None, k: int) -> list[str]:
        if names is None:
            names = default if default is not None else [f"grade{i}" for i in range(k)]
        names = [str(x) for x in names]
        if len(names) != k:
            raise InputError(f"names has {len(names)} entries for {k} grade columns; give one "
                             f"name per column")
        if len(set(names)) != k or "gangue" in names:
            raise InputError(f"component names must be distinct and not 'gangue'; got {names}")
        return names

    @staticmethod
    def _replace_zeros(comp: np.ndarray, zero: np.ndarray, names: list[str], limit: Any,
                       fraction: float) -> np.ndarray:
        k = zero.shape[1]
        grades = comp[:, :k]
        if limit is None:
            positive = np.where(grades > 0, grades, np.inf)
            dl = positive.min(axis=0)
            empty = ~np.isfinite(dl)
            if empty.any():
                bad = [names[j] for j in np.flatnonzero(empty)]
                raise InputError(f"component(s) {bad} are 0 in every deposit: nothing to "
                                 f"model; drop them or give detection_limit_pct")
        else:
            dl = np.broadcast_to(np.asarray(limit, dtype=float), (k,)).copy()
            if np.any(~np.isfinite(dl) | (dl <= 0)):
                raise InputError(f"detection_limit_pct must be > 0 %; got {limit!r}")
        delta = fraction * dl
        added = np.where(zero, delta, 0.0).sum(axis=1, keepdims=True)
        scaled = comp * (1.0 - added / 100.0)
        scaled[:, :k] = np.where(zero, delta, scaled[:, :k])
        return scaled

    @classmethod
    def fixed(cls, grades_pct: Any, names: Sequence[str] | None = None) -> GradeModel:
        """
        A degenerate model: every deposit has the same grades.

        Parameters
        ----------
        grades_pct : array_like
            The k grades of every deposit, summing to less than 100. Units: %.
        names : sequence of str, optional
            Component names (default ``"grade0"``, ...).

        Returns
        -------
        GradeModel
            A fitted model with ``method_ == "fixed"``.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.undiscovered.grades import GradeModel
        >>> GradeModel.fixed([1.5, 0.5], names=["Cu", "Zn"]).sample(2, np.random.default_rng(0))
        array([[1.5, 0.5],
               [1.5, 0.5]])
        """
        arr = np.atleast_1d(np.asarray(grades_pct, dtype=float))
        if arr.ndim != 1:
            raise InputError(f"fixed() takes one row of k grades (%); got shape {arr.shape}")
        names = cls._names(names, None, arr.size)
        _check_table(arr[None, :], None, names)
        model = cls()
        model.method_ = "fixed"
        model.names_ = names
        model.n_deposits_ = 0
        model.grades_pct_ = pd.DataFrame(arr[None, :], columns=names)
        model.zero_replacements_ = pd.Series(0, index=names, name="zeros_replaced")
        model.bandwidth_ = math.nan
        model._fixed = arr
        return model

    def _check_fitted(self) -> None:
        if self.method_ is None:
            raise InputError("this GradeModel is not fitted; call .fit(grades_pct) or use "
                             "GradeModel.fixed(grades_pct)")

    def sample_coords(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """
        Draw ilr coordinates of `n` deposits' compositions.

        Parameters
        ----------
        n : int
            Number of draws (>= 0).
        rng : numpy.random.Generator or int, optional
            The random generator, or a seed.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, k)``: one standard-normal vector per deposit, transformed.

        Examples
        --------
        >>> from raremin.undiscovered.grades import GradeModel
        >>> m = GradeModel().fit([[1.0, 0.1], [2.0, 0.3], [3.0, 0.2], [1.5, 0.1]])
        >>> m.sample_coords(5, 0).shape
        (5, 2)
        """
        self._check_fitted()
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise InputError(f"n must be an integer >= 0; got {n!r}")
        rng = np.random.default_rng(rng)
        if self.method_ == "fixed":
            comp = np.append(self._fixed, 100.0 - self._fixed.sum())
            return np.tile(ilr(comp), (int(n), 1))
        k = self.mean_.size
        noise = rng.standard_normal((int(n), k)) @ self._root.T
        if self.method_ == "normal":
            return noise + self.mean_
        return noise + self.coords_[rng.integers(self.n_deposits_, size=int(n))]

    def sample(self, n: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        """
        Draw the grades of `n` deposits.

        Parameters
        ----------
        n : int
            Number of draws (>= 0).
        rng : numpy.random.Generator or int, optional
            The random generator, or a seed.

        Returns
        -------
        numpy.ndarray
            Shape ``(n, k)``, grades in the order of `names_`; each row is positive and
            sums to less than 100 (the rest is gangue). Units: %.

        Examples
        --------
        >>> import numpy as np
        >>> from raremin.undiscovered.grades import GradeModel
        >>> m = GradeModel().fit([[1.0, 0.1], [2.0, 0.3], [3.0, 0.2], [1.5, 0.1]])
        >>> g = m.sample(1000, np.random.default_rng(2))
        >>> bool(np.all(g > 0)), bool(np.all(g.sum(axis=1) < 100))
        (True, True)
        """
        if self.method_ == "fixed":
            self.sample_coords(n, rng)  # validates n
            return np.tile(self._fixed, (int(n), 1))
        return ilr_inverse(self.sample_coords(n, rng), total=100.0)[:, :-1]

    def plot(self, ax: Any = None, *, n: int = 5000, seed: int = 0) -> Any:
        """
        Plot each grade's model cdf (from `n` draws) over the known grades' ecdf.

        Parameters
        ----------
        ax : matplotlib.axes.Axes, optional
            Axes to draw on; a new figure when None.
        n : int, default 5000
            Draws from the model for its marginal cdfs.
        seed : int, default 0
            Seed of those draws.

        Returns
        -------
        matplotlib.axes.Axes
            One colour per component: a line (model) and points (known deposits), on a
            log grade axis.

        See Also
        --------
        raremin.plotting.plot_grade_model : the function that draws it.

        Examples
        --------
        >>> import matplotlib
        >>> matplotlib.use("Agg")
        >>> from raremin.undiscovered.grades import GradeModel
        >>> m = GradeModel().fit([[1.0, 0.1], [2.0, 0.3], [3.0, 0.2], [1.5, 0.1]])
        >>> len(m.plot(n=200).lines)
        4
        """
        from ..plotting import plot_grade_model

        return plot_grade_model(self, ax, n=n, seed=seed)

    def __repr__(self) -> str:
        if self.method_ is None:
            return "GradeModel(unfitted)"
        if self.method_ == "fixed":
            return f"GradeModel('fixed', names={self.names_}, grades_pct={self._fixed.tolist()})"
        return (f"GradeModel({self.method_!r}, n_deposits={self.n_deposits_}, "
                f"names={self.names_} + gangue, "
                f"zeros replaced={int(self.zero_replacements_.sum())})")

    def _repr_html_(self) -> str:
        from .._display import text_html

        return text_html("Grade model", repr(self))


def _check_table(arr: np.ndarray, index: Any, names: list[str]) -> None:
    """NaN, negative grades and rows summing to >= 100 % raise, naming the first row."""
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        r, c = (int(i) for i in np.argwhere(bad)[0])
        raise InputError(f"grade {names[c]!r} is {arr[r, c]} in {_row_label(index, r)}; "
                         f"grades must be finite and >= 0 % ({int(bad.sum())} bad value(s))")
    total = arr.sum(axis=1)
    over = total >= 100.0
    if over.any():
        r = int(np.flatnonzero(over)[0])
        raise InputError(f"the grades of {_row_label(index, r)} sum to {total[r]:g} %, leaving "
                         f"no gangue; grades must sum to less than 100 % (are they in %? "
                         f"{int(over.sum())} such deposit(s))")
