from __future__ import annotations

import pytest

from .harness import Rig


@pytest.fixture(params=["native", "polling"])
def rig(request, tmp_path):
    """A monitor rig with watchdog's native observer and with its PollingObserver (network shares)."""
    r = Rig(tmp_path, polling=request.param == "polling")
    yield r
    r.stop()
