"""What a handler may ask for by parameter name."""

from __future__ import annotations

from litestar.di import NamedDependency

from interfaces.bootstrap import Services

AppServices = NamedDependency[Services]
