"""The agent's schedule as an iCalendar feed behind a revocable secret URL."""
