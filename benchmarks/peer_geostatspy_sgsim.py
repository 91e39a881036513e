"""
GeostatsPy's ``sgsim``, one realisation, 500 data -> 100 x 100: the peer of
``bench_simulation.py`` (a), run in its own environment (GeostatsPy pins its own numba and
needs statsmodels; it is not a raremin dependency). Same data (seed 0), model (nugget 0.1
+ spherical 0.9, range 30) and neighbours (16 data, 16 nodes) as raremin's run.

Run: ``<python with geostatspy> benchmarks/peer_geostatspy_sgsim.py``, or through
``bench_simulation.py --geostatspy-python <that python>``. Prints the seconds.
"""
import contextlib
import io
import time

import geostatspy.geostats as g
import geostatspy.GSLIB as G
import numpy as np
import pandas as pd

rng = np.random.default_rng(0)
xy = rng.uniform(0, 100, (500, 2))
v = rng.standard_normal(500)
df = pd.DataFrame({"X": xy[:, 0], "Y": xy[:, 1], "V": v})
vario = G.make_variogram(nug=0.1, nst=1, it1=1, cc1=0.9, azi1=0, hmaj1=30, hmin1=30)
t = time.perf_counter()
with contextlib.redirect_stdout(io.StringIO()):  # its own progress report
    sim = g.sgsim(df, "X", "Y", "V", wcol=-1, scol=-1, tmin=-999, tmax=999, itrans=0, ismooth=0,
                  dftrans=0, tcol=0, twtcol=0, zmin=-4, zmax=4, ltail=1, ltpar=0, utail=1, utpar=0,
                  nsim=1, nx=100, xmn=0.5, xsiz=1.0, ny=100, ymn=0.5, ysiz=1.0, seed=73073,
                  ndmin=0, ndmax=16, nodmax=16, mults=0, nmult=2, noct=-1, ktype=0, colocorr=0.0,
                  sec_map=0, vario=vario)
print(f"{time.perf_counter() - t:.3f}")
