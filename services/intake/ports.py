"""What the intake's handlers need from the outside world, as protocols."""

from halsosupport.clock import Clock

__all__ = ["Clock"]
