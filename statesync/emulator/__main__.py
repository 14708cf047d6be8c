"""`python -m statesync.emulator`: the same as `statesync emulator`."""

from statesync.emulator.cli import emulator_command

emulator_command()
