"""The one rounding of points and scores, for the rules (one clinic) and the index (many).

Both paths must produce the same float bit for bit, or the index would rank a clinic the
rules explain differently; so both use this formula (half up, not Python's half even).
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt


def half_up(value: float, digits: int) -> float:
    scale = 10.0**digits
    return math.floor(value * scale + 0.5) / scale


def half_up_array(values: npt.NDArray[np.float64], digits: int) -> npt.NDArray[np.float64]:
    scale = 10.0**digits
    rounded: npt.NDArray[np.float64] = np.floor(values * scale + 0.5) / scale
    return rounded
