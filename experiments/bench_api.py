"""Latency of GET /v1/colony on one daemon of a 20-node colony, under an open-loop
load of 200 requests per second (requests are sent on schedule, not after answers).

    .venv/bin/python experiments/bench_api.py [--nodes 20] [--rate 200] [--seconds 30]

Writes experiments/results/bench-api.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from bench_runtime import Lab

HERE = Path(__file__).parent


async def load(url: str, rate: float, seconds: float) -> tuple[list[float], int]:
    lat: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=32, max_keepalive_connections=32)
    async with httpx.AsyncClient(timeout=2.0, limits=limits) as client:

        async def one() -> None:
            nonlocal errors
            t0 = time.perf_counter()
            try:
                r = await client.get(url)
                r.raise_for_status()
                lat.append(time.perf_counter() - t0)
            except httpx.HTTPError:
                errors += 1

        tasks = []
        start = time.perf_counter()
        n = int(rate * seconds)
        for i in range(n):
            delay = start + i / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one()))
        await asyncio.gather(*tasks)
    return lat, errors


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--nodes", type=int, default=20)
    ap.add_argument("--rate", type=float, default=200.0)
    ap.add_argument("--seconds", type=float, default=30.0)
    args = ap.parse_args()
    lab = Lab(args.nodes)
    try:
        for name in lab.names:
            lab.start(name)
        lab.wait(lambda: all(lab.view(n) for n in lab.names), timeout=60)
        lab.wait(lab.settled, timeout=60)
        target = next(n for n in lab.names if n != lab.settled(need_roles=False))
        url = f"http://127.0.0.1:{lab.apis[target]}/v1/colony"
        asyncio.run(load(url, args.rate, 3.0))  # warm-up
        lat, errors = asyncio.run(load(url, args.rate, args.seconds))
    finally:
        lab.stop()
    lat.sort()
    q = statistics.quantiles(lat, n=100, method="inclusive")
    res = {
        "nodes": args.nodes,
        "rate_per_s": args.rate,
        "seconds": args.seconds,
        "requests": len(lat) + errors,
        "errors": errors,
        "p50_ms": round(q[49] * 1000, 2),
        "p90_ms": round(q[89] * 1000, 2),
        "p99_ms": round(q[98] * 1000, 2),
        "max_ms": round(lat[-1] * 1000, 2),
    }
    out = HERE / "results" / "bench-api.json"
    out.write_text(json.dumps(res, indent=2))
    print(json.dumps(res, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
