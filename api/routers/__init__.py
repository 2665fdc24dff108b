"""One router per seed 004 module."""
