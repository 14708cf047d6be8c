"""Everything one emulator instance holds: the store, its seed and the test controls."""

from __future__ import annotations

from dataclasses import dataclass, field

from statesync.emulator.faults import Faults, RateLimiter, Stats
from statesync.emulator.seed import Seed
from statesync.emulator.store import Store

# unconfirmed: how long a published video "processes" before its `post_id` reads
# (docs/media.md §3.1: integrations retry while it is empty); set by a test through
# `POST /_emulator/video`.
VIDEO_POST_DELAY_S = 0.5


@dataclass
class Context:
    store: Store
    seed: Seed
    faults: Faults = field(default_factory=Faults)
    limiter: RateLimiter = field(default_factory=RateLimiter)
    stats: Stats = field(default_factory=Stats)
    latency_ms: float = 0.0
    video_post_delay_s: float = VIDEO_POST_DELAY_S

    def reset(self) -> None:
        """`POST /_emulator/reset`: the seed exactly, on real time, and no faults,
        latency or limits; videos process for the default delay again."""
        self.store.clock.set(None)  # first: the seed's posts are created "now"
        self.store.reset(self.seed)
        self.faults.set_rules([])
        self.limiter.configure(None, 0)
        self.stats = Stats()
        self.latency_ms = 0.0
        self.video_post_delay_s = VIDEO_POST_DELAY_S
