"""The version of raremin, read by setup.cfg and re-exported as ``raremin.__version__``."""

__version__ = "0.1.0"
