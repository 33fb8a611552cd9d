"""GhostWatch: spots ghost calls and SIP attacks in PBX logs."""

__version__ = "0.1.0"
