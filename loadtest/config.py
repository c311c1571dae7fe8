"""Load-test settings, passed from the runner to every Locust process as environment variables."""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields

SCENARIOS = ("steady", "flash", "chat-storm", "gala", "drop", "auction")
DROP_MODES = ("first_come", "lottery")
ENV_PREFIX = "LIVEBUY_LOADTEST_"
# A distributed run stops its users first and quits once every worker has reported none left
# (the locustfile has workers report every second; under load, allow many), at most this long.
MAX_DRAIN_S = 15.0


@dataclass(frozen=True)
class LoadTestConfig:
    """One scenario run: who connects, how fast, for how long, and what the producer plays."""

    scenario: str = "steady"
    show_id: str = "spring-runway"
    users: int = 50
    spawn_rate: float = 25.0
    duration_s: float = 30.0
    cue_rate: float = 2.0  # producer cues per second during the run
    deal_units: int = 10  # flash: units on sale (everyone taps once); gala: red packets
    deal_product: str = "sable-coast-leather-biker"
    chat_rate: float = 0.5  # per chatter, messages per second
    producer_token: str = ""
    run_id: str = "run"
    drop_mode: str = "first_come"  # drop: first_come or lottery
    max_delay_ms: float = 500.0  # drop: each user taps after a delay spread over [0, this]
    auction_sku: str = "VLM-SCRF-SKY"  # auction: the lot (100 units in the demo catalog)
    workers_report: str = ""  # distributed runs: where the master saves the users per worker

    def __post_init__(self) -> None:
        if self.scenario not in SCENARIOS:
            raise ValueError(f"unknown scenario {self.scenario!r}: one of {', '.join(SCENARIOS)}")
        if self.drop_mode not in DROP_MODES:
            raise ValueError(
                f"unknown drop mode {self.drop_mode!r}: one of {', '.join(DROP_MODES)}"
            )

    @property
    def ramp_s(self) -> float:
        """Seconds the shape takes to start every user."""
        return self.users / self.spawn_rate

    def to_env(self) -> dict[str, str]:
        """The environment that carries this config to Locust processes."""
        return {f"{ENV_PREFIX}{name.upper()}": str(value) for name, value in asdict(self).items()}

    @classmethod
    def from_env(cls) -> LoadTestConfig:
        """The config set by ``to_env`` (defaults for whatever is missing)."""
        values: dict[str, object] = {}
        for field in fields(cls):
            raw = os.environ.get(f"{ENV_PREFIX}{field.name.upper()}")
            if raw is None:
                continue
            kind = type(getattr(cls, field.name))
            values[field.name] = kind(raw)
        return cls(**values)  # type: ignore[arg-type]


# Request types in Locust's statistics, besides HTTP methods.
WS = "WS"  # one entry per frame type received on the show websocket
ORDER = "ORDER"  # one entry per outcome of a tap (ordered, out_of_stock, ...)
PRODUCER = "PRODUCER"  # cues the runner posted
GAME = "GAME"  # one entry per outcome of a game action (vote, entry, grab) and vote_to_result


def auction_id(run_id: str) -> str:
    """The auction a run plays (the runner reads its outcome afterwards)."""
    return f"lot-{run_id.lower()}"
