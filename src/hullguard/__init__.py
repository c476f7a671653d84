"""hullguard: audit containers against six pillars of container security."""

__version__ = "0.1.0"
