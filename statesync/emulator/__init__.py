"""A local, faithful emulator of the Facebook Graph API and the OneAll API.

An independent implementation of the seeds and PROTOCOL.md: it imports nothing else
from statesync, so that it cannot share the client's bugs.
"""

from statesync.emulator.seed import SeedError, load_seed_file
from statesync.emulator.server import RunningEmulator, run_emulator, start_emulator

__all__ = [
    "RunningEmulator",
    "SeedError",
    "load_seed_file",
    "run_emulator",
    "start_emulator",
]
