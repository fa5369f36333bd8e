"""Shift trades: an agent offers a shift (to a colleague or to anyone, optionally for one of
theirs), the partner accepts, every schedule rule is re-checked for both (``workrules``), and
the owners swap in one transaction."""
