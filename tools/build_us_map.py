"""Turn the US Census Bureau's state boundaries (us-atlas TopoJSON) into plain arrays for the map.

Reads `states-10m.json` from the `us-atlas` npm package (version pinned below): the Census
Bureau's 2017 cartographic state boundaries, public domain, quantized and simplified by us-atlas,
*not* projected. Writes `data/us_states.json`: per state its FIPS code, name and polygons, each
polygon a list of rings, each ring a flat list `[lon, lat, lon, lat, …]` in degrees.

The app projects these itself (clinicfinder/core/map): TopoJSON decoding happens here, once, so
the run time needs no GIS library and no Node.

Rebuild (from the project root; needs `npm`, which fetches from the npm registry):
  python -m tools.build_us_map
or from a file already downloaded:
  python -m tools.build_us_map --topojson path/to/states-10m.json
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

PACKAGE = "us-atlas@3.0.1"
OUTPUT = Path(__file__).resolve().parent.parent / "data" / "us_states.json"


def decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    """Every arc in degrees: TopoJSON stores quantized positions as deltas from the previous one."""
    scale_x, scale_y = topology["transform"]["scale"]
    shift_x, shift_y = topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def ring_points(indexes: Sequence[int], arcs: list[list[tuple[float, float]]]) -> list[tuple[float, float]]:
    """A ring from its arcs; a negative index ~i is arc i reversed. Arcs share their end points."""
    points: list[tuple[float, float]] = []
    for index in indexes:
        arc = arcs[index] if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def flat(points: list[tuple[float, float]]) -> list[float]:
    # Four decimals (about 10 m) keep every quantized position of the source distinct.
    return [round(value, 4) for point in points for value in point]


def convert(topology: dict[str, Any]) -> dict[str, Any]:
    arcs = decode_arcs(topology)
    states = []
    for geometry in topology["objects"]["states"]["geometries"]:
        if geometry["type"] == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry["type"] == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            raise ValueError(f"state {geometry.get('id')}: unexpected geometry {geometry['type']}")
        states.append(
            {
                "id": geometry["id"],
                "name": geometry["properties"]["name"],
                "polygons": [[flat(ring_points(ring, arcs)) for ring in polygon] for polygon in polygons],
            }
        )
    states.sort(key=lambda state: state["id"])
    return {
        "source": (
            "US Census Bureau, cartographic boundary files 2017 (states, 1:10,000,000), public domain; "
            f"as TopoJSON in the npm package {PACKAGE} (states-10m.json)"
        ),
        "states": states,
    }


def fetch_topojson(directory: Path) -> Path:
    """Download the pinned package's tarball from the npm registry and unpack states-10m.json."""
    command = ["npm", "pack", PACKAGE, "--silent"]  # a pinned package from the registry, no shell
    subprocess.run(command, cwd=directory, check=True, capture_output=True)  # noqa: S603
    tarball = next(directory.glob("us-atlas-*.tgz"))
    with tarfile.open(tarball) as archive:
        member = archive.getmember("package/states-10m.json")
        archive.extractall(directory, members=[member], filter="data")
    return directory / "package" / "states-10m.json"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--topojson", type=Path, help="a states-10m.json already downloaded")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        source = args.topojson or fetch_topojson(Path(scratch))
        result = convert(json.loads(source.read_text(encoding="utf-8")))
    args.output.write_text(json.dumps(result, separators=(",", ":")) + "\n", encoding="utf-8")
    points = sum(len(ring) // 2 for state in result["states"] for polygon in state["polygons"] for ring in polygon)
    print(f"{args.output}: {len(result['states'])} states and territories, {points} points")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
