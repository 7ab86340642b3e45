"""Message-bus benchmark: qaforge's memory and Redis Streams backends, beside redis-benchmark.

    .venv/bin/python benchmarks/bus.py [--messages 5000] [--round-trips 500]
                                       [--redis redis://127.0.0.1:6379/0] [--json]

For each backend (memory://, redis://):
  * throughput: publish --messages messages (a ~200-byte payload each) to one topic, then one
    consumer receives them in batches of 100 and acks each; msgs/s is messages divided by the
    wall time of the whole publish+consume cycle;
  * round trip: an echo service reads requests from a topic and publishes a reply to the
    request's reply topic; an RpcClient makes --round-trips sequential requests and the p50 /
    p99 request->response latency is reported in milliseconds.

In the same run, `redis-benchmark -t xadd` (or a custom `XADD` command where that test name is
unsupported) gives Redis's own XADD rate, and the ratio of the qaforge Redis bus throughput to
it is reported. Note that redis-benchmark uses 50 concurrent connections and does nothing but
XADD, while the bus cycle is one connection that also encodes, reads, decodes and acks.

Redis keys live under a per-run prefix (qaforge-bench-<uuid>) and are deleted at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import re
import shutil
import subprocess
import time
import uuid
from typing import Any

import redis
from rich.console import Console
from rich.table import Table

from qaforge.bus import Message, MessageBus, MessageType, open_bus
from qaforge.bus.base import stop_loops
from qaforge.bus.rpc import RpcClient

PAYLOAD: dict[str, Any] = {"blob": "x" * 190}  # ~200 bytes of JSON
BATCH = 100
ECHO_TOPIC = "bench.echo"
ECHO_GROUP = "echo"
WARMUP_ROUND_TRIPS = 10
RPC_TIMEOUT_S = 10.0
REDIS_BENCHMARK_N = 20_000
_RPS = re.compile(r"([\d.]+)\s+requests per second")
_P50 = re.compile(r"p50=([\d.]+)\s*msec")


def percentile(samples: list[float], q: float) -> float:
    """Nearest-rank percentile (`q` in 0..100) of a non-empty sample."""
    ordered = sorted(samples)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def request(i: int) -> Message:
    return Message(
        sender="bench",
        receiver="echo",
        type=MessageType.TASK_REQUEST,
        payload={**PAYLOAD, "i": i},
    )


async def throughput(bus: MessageBus, n: int) -> dict[str, float]:
    """Publish `n` messages, then consume and ack them all in batches; msgs/s for the cycle."""
    topic, group = f"bench.tp.{uuid.uuid4().hex[:8]}", "bench"
    await bus.ensure_group(topic, group)
    messages = [request(i) for i in range(n)]
    t0 = time.perf_counter()
    for msg in messages:
        await bus.publish(topic, msg)
    t_pub = time.perf_counter()
    got = 0
    while got < n:
        deliveries = await bus.receive(topic, group, "c1", count=BATCH, block_s=1.0)
        if not deliveries:
            raise RuntimeError(f"consumer stalled after {got}/{n} messages")
        for d in deliveries:
            await bus.ack(d)
        got += len(deliveries)
    t_end = time.perf_counter()
    await bus.delete_topic(topic)
    return {
        "msgs_per_s": n / (t_end - t0),
        "publish_per_s": n / (t_pub - t0),
        "consume_per_s": n / (t_end - t_pub),
    }


async def echo_service(bus: MessageBus, stop: asyncio.Event) -> None:
    """Answer every request on ECHO_TOPIC with its payload, on the request's reply topic."""
    await bus.ensure_group(ECHO_TOPIC, ECHO_GROUP)
    while not stop.is_set():
        for d in await bus.receive(ECHO_TOPIC, ECHO_GROUP, "echo-1", count=BATCH, block_s=0.5):
            msg = d.message
            if msg is not None and msg.reply_to:
                reply = msg.reply(MessageType.TASK_RESPONSE, msg.payload, sender="echo")
                await bus.publish(msg.reply_to, reply)
            await bus.ack(d)


async def round_trips(bus: MessageBus, m: int) -> dict[str, float]:
    """`m` sequential RpcClient requests to the echo service; p50/p99 in ms."""
    stop = asyncio.Event()
    service = asyncio.create_task(echo_service(bus, stop), name="bench-echo")
    client = RpcClient(bus, f"bench-{uuid.uuid4().hex[:8]}")
    await client.start()
    try:
        for i in range(WARMUP_ROUND_TRIPS):
            await client.request(ECHO_TOPIC, request(-i - 1), timeout_s=RPC_TIMEOUT_S)
        samples: list[float] = []
        for i in range(m):
            t0 = time.perf_counter()
            await client.request(ECHO_TOPIC, request(i), timeout_s=RPC_TIMEOUT_S)
            samples.append((time.perf_counter() - t0) * 1000)
    finally:
        await client.close()
        stop.set()
        await stop_loops([service], grace_s=2.0)
        await bus.delete_topic(ECHO_TOPIC)
    return {"p50_ms": percentile(samples, 50), "p99_ms": percentile(samples, 99)}


async def bench_backend(url: str, n: int, m: int) -> dict[str, Any]:
    bus = open_bus(url)
    try:
        ping = getattr(bus, "ping", None)
        if ping is not None:
            await ping()
        return {**await throughput(bus, n), **await round_trips(bus, m)}
    finally:
        await bus.close()


def with_prefix(url: str, prefix: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}prefix={prefix}"


def redis_benchmark(url: str, key: str) -> dict[str, Any]:
    """Redis's own XADD rate from redis-benchmark (50 clients, -q output)."""
    exe = shutil.which("redis-benchmark")
    if exe is None:
        return {"missing": "redis-benchmark not found on PATH"}
    conn = redis.Redis.from_url(url)
    kw = conn.connection_pool.connection_kwargs
    base = [exe, "-h", str(kw.get("host", "127.0.0.1")), "-p", str(kw.get("port", 6379))]
    base += ["-n", str(REDIS_BENCHMARK_N), "-q"]
    if kw.get("db"):
        base += ["--dbnum", str(kw["db"])]
    if kw.get("password"):
        base += ["-a", str(kw["password"])]
    runs = [(["-t", "xadd"], "-t xadd"), (["XADD", key, "*", "f", "v"], f"XADD {key} * f v")]
    try:
        for extra, label in runs:
            out = subprocess.run(
                base + extra, capture_output=True, text=True, timeout=60, check=False
            )
            rps = _RPS.findall(out.stdout)
            if rps:  # redis-benchmark 7 prints nothing for an unknown -t test name
                p50 = _P50.findall(out.stdout)
                return {
                    "command": f"redis-benchmark -n {REDIS_BENCHMARK_N} -q {label}",
                    "msgs_per_s": float(rps[-1]),
                    "p50_ms": float(p50[-1]) if p50 else None,
                }
        return {"missing": "redis-benchmark printed no XADD rate"}
    except subprocess.TimeoutExpired:
        return {"missing": "redis-benchmark timed out"}
    finally:
        conn.delete(key)
        conn.close()


def cleanup(url: str, prefix: str) -> int:
    """Delete every key this run created under `prefix`."""
    conn = redis.Redis.from_url(url)
    try:
        keys = list(conn.scan_iter(match=f"{prefix}:*"))
        if keys:
            conn.delete(*keys)
        return len(keys)
    finally:
        conn.close()


def run(args: argparse.Namespace) -> dict[str, Any]:
    prefix = f"qaforge-bench-{uuid.uuid4().hex[:12]}"
    urls = {"memory": "memory://", "redis": with_prefix(args.redis, prefix)}
    result: dict[str, Any] = {
        "messages": args.messages,
        "round_trips": args.round_trips,
        "payload_bytes": len(json.dumps(PAYLOAD)),
        "backends": {},
    }
    try:
        for name, url in urls.items():
            try:
                row = asyncio.run(bench_backend(url, args.messages, args.round_trips))
            except Exception as exc:  # an unreachable Redis is reported, not fatal
                row = {"skipped": f"{type(exc).__name__}: {exc}"}
            result["backends"][name] = row
        try:
            result["redis_benchmark"] = redis_benchmark(args.redis, f"{prefix}:redis-benchmark")
        except redis.RedisError as exc:
            result["redis_benchmark"] = {"missing": f"Redis unreachable: {exc}"}
    finally:
        try:
            result["redis_keys_deleted"] = cleanup(args.redis, prefix)
        except redis.RedisError:
            result["redis_keys_deleted"] = 0
    bus_rate = result["backends"]["redis"].get("msgs_per_s")
    xadd_rate = result["redis_benchmark"].get("msgs_per_s")
    result["redis_bus_vs_xadd"] = bus_rate / xadd_rate if bus_rate and xadd_rate else None
    return result


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--messages", type=int, default=5000)
    ap.add_argument("--round-trips", type=int, default=500)
    ap.add_argument("--redis", default="redis://127.0.0.1:6379/0", metavar="URL")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = run(args)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    table = Table(
        title=f"Bus: {args.messages} msgs (batch {BATCH}), {args.round_trips} round trips"
    )
    for col in ("backend", "msgs/s", "p50 ms", "p99 ms"):
        table.add_column(col, justify="left" if col == "backend" else "right")
    for name, row in result["backends"].items():
        if "skipped" in row:
            table.add_row(f"qaforge {name}", "skipped", row["skipped"][:60], "")
            continue
        table.add_row(
            f"qaforge {name}",
            fmt(row["msgs_per_s"], ",.0f"),
            fmt(row["p50_ms"], ".3f"),
            fmt(row["p99_ms"], ".3f"),
        )
    rb = result["redis_benchmark"]
    if "missing" in rb:
        table.add_row("redis-benchmark XADD", "missing", rb["missing"][:60], "")
    else:
        table.add_row(
            "redis-benchmark XADD", fmt(rb["msgs_per_s"], ",.0f"), fmt(rb["p50_ms"], ".3f"), "-"
        )
    ratio = result["redis_bus_vs_xadd"]
    if ratio is not None:
        table.caption = f"qaforge redis bus / redis-benchmark XADD = {ratio:.3f}"
    Console().print(table)


if __name__ == "__main__":
    main()
