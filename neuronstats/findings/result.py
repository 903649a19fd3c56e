"""What a finding returns: its tests (each a stats row with its seeds' effects) and the
data of its figures. Findings return one and change nothing else."""

from __future__ import annotations

from dataclasses import dataclass, field

from neuronstats.stats.row import NullTestResult


@dataclass(frozen=True)
class FindingResult:
    """One finding's tests and figure data (JSON-ready, from seed 0)."""

    name: str
    tests: tuple = ()
    figure_data: dict = field(default_factory=dict)

    def __post_init__(self):
        object.__setattr__(self, "tests", tuple(t if isinstance(t, NullTestResult) else NullTestResult(t)
                                                for t in self.tests))

    @property
    def rows(self) -> list[dict]:
        """The stats rows, in the order the finding made them."""
        return [t.to_row() for t in self.tests]

    @property
    def seed_values(self) -> dict:
        """(finding, test, unit, test_id) -> each seed's effect, for every test over seeds."""
        return {t.key: list(t.seed_effects) for t in self.tests if t.seed_effects is not None}
