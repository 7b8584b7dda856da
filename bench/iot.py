"""Factory IoT benchmark: MQTT readings through the bridge, beside a bare paho subscriber.

On a Mosquitto broker started here on loopback, a publisher in its own process (as devices
are) sends N JSON device messages at QoS 0 as fast as it can; two subscribers receive them,
alternated run by run: a bare paho client that only counts (the baseline), and the bridge
(:class:`MqttBridgeClient` with :class:`IotBridge`: decode, convert, readings), and
``physical-ai iot record`` end to end (the same bridge, every reading written into a rosbag2,
the bag closed), at QoS 0 and at QoS 1. Reported: readings per second from the first
reading received to the last one handled (for the recorder: to its bag closed), and broker
-> reading latency p50/p99 (publisher's send time in the payload against the receiving
callback's clock), each beside the baseline. The bridge core alone (no network) is timed too.
Goals (issues 14, 25): >= 20,000 readings/s; p99 <= 2 ms above the bare subscriber;
``iot record`` >= 0.8x the bare subscriber at QoS 0 and QoS 1.

Run: ``make bench`` or ``.venv/bin/python bench/iot.py`` (needs mosquitto and paho-mqtt).
"""

from __future__ import annotations

import json
from pathlib import Path
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import HEADER, measure_interleaved

from physical_ai_ros.core.messages.payloads import PayloadSpec
from physical_ai_ros.core.perception.bridge import IotBridge, MqttRoute

MESSAGES = 20_000
ROUNDS = 3
ROUTE = MqttRoute(
    'factory/line3/+/temperature', 'oven_{2}', 'temperature', 'degF', 'degC',
    PayloadSpec('json', 't', 'ts', 'ns', 'q', ('GOOD',)),
)  # fmt: skip


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return int(s.getsockname()[1])


def core_only() -> None:
    """The bridge's decode and conversion alone, per message."""
    bridge = IotBridge([ROUTE])
    body = json.dumps({'t': 71.6, 'ts': 1_700_000_000_000_000_000, 'q': 'GOOD'}).encode()
    parse = lambda: json.loads(body)  # noqa: E731 (the floor: JSON parsing only)
    (floor, ours) = measure_interleaved(
        [
            ('floor: json.loads of the payload', parse),
            ('IotBridge.on_message', lambda: bridge.on_message('factory/line3/o1/temperature',
                                                               body, 0)),
        ],
        runs=20_000,
    )  # fmt: skip
    print(HEADER)
    for row in (floor, ours):
        print(row.row(floor))
    print(f'  => the bridge core alone: {1000.0 / ours.median_ms:,.0f} readings/s per core')


def run_record(port: int, qos: int, messages: int = MESSAGES) -> float:
    """Readings/s of ``physical-ai iot record`` taking ``messages`` into a bag, end to end."""
    from rosbags.rosbag2 import Reader
    import yaml

    from physical_ai_ros.cli import main as cli

    with tempfile.TemporaryDirectory() as tmp:
        mapping, params, bag = Path(tmp) / 'map.yaml', Path(tmp) / 'params.yaml', Path(tmp) / 'b'
        mapping.write_text(yaml.safe_dump({'mqtt': [{
            'topic': ROUTE.topic, 'sensor_id': ROUTE.sensor_id, 'quantity': ROUTE.quantity,
            'unit': ROUTE.unit, 'to_unit': ROUTE.to_unit,
            'payload': {'format': 'json', 'value': 't', 'timestamp': 'ts',
                        'timestamp_unit': 'ns', 'quality': 'q', 'good': ['GOOD']},
        }]}))  # fmt: skip
        node = {'mapping_file': str(mapping), 'mqtt.qos': qos, 'mqtt.port': port}
        params.write_text(yaml.safe_dump({'iot_bridge_node': {'ros__parameters': node}}))
        finished: list[float] = []

        def record() -> None:
            cli(['iot', 'record', '--params', str(params), '--out', str(bag), '--seconds', '60',
                 '--max-readings', str(messages)])  # fmt: skip
            finished.append(time.time_ns())

        recorder = threading.Thread(target=record)
        recorder.start()
        time.sleep(1.5)  # connected and subscribed
        publisher = subprocess.Popen([sys.executable, __file__, '--publish', str(port),
                                      str(messages), '0', str(qos)])  # fmt: skip
        recorder.join(timeout=120)
        publisher.wait(timeout=60)
        with Reader(bag) as reader:  # log time = receipt: the first reading's arrival
            first = next(iter(reader.messages()))[1]
            count = reader.message_count
    return count / ((finished[0] - first) / 1e9) if finished and count else 0.0


def bridge_worker(port: int, group: str) -> None:
    """One bridge process of a shared group: counts its readings until 1 s without one.

    Prints its count and the wall times (ns) of its first and last reading.
    """
    from physical_ai_ros.iot.mqtt import MqttBridgeClient

    times: list[int] = []
    client = MqttBridgeClient(
        IotBridge([ROUTE]), '127.0.0.1', port, lambda r: times.append(time.time_ns()),
        client_id=f'bench-{group}-{time.time_ns()}', qos=0, persistent=False,
        shared_group=group,
    )  # fmt: skip
    client.start()
    while not client.connected:
        time.sleep(0.01)
    print('ready', flush=True)
    while not times or time.time_ns() - times[-1] < 1_000_000_000:
        time.sleep(0.05)
    client.stop()
    print(len(times), times[0], times[-1], flush=True)


def run_shared(port: int, workers: int, messages: int = MESSAGES) -> float:
    """Readings/s of ``workers`` bridge processes sharing the devices' messages."""
    group = f'g{time.time_ns()}'
    procs = [
        subprocess.Popen(
            [sys.executable, __file__, '--bridge-worker', str(port), group],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(workers)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == 'ready'
    time.sleep(0.2)
    publisher = subprocess.Popen([sys.executable, __file__, '--publish', str(port),
                                  str(messages), '0', '0'])  # fmt: skip
    publisher.wait(timeout=120)
    counts, firsts, lasts = [], [], []
    for proc in procs:
        out, _ = proc.communicate(timeout=120)
        count, first, last = (int(v) for v in out.split())
        counts.append(count)
        firsts.append(first)
        lasts.append(last)
    return sum(counts) / ((max(lasts) - min(firsts)) / 1e9)


def run_subscriber(
    port: int, bridged: bool, messages: int = MESSAGES, rate_hz: float = 0.0, qos: int = 0
) -> tuple[float, np.ndarray]:
    """(readings/s, latencies ms) of one subscriber receiving ``messages`` messages.

    ``rate_hz`` 0 publishes as fast as possible (throughput); else paced (latency).
    """
    import paho.mqtt.client as mqtt

    from physical_ai_ros.iot.mqtt import MqttBridgeClient

    latencies: list[float] = []
    done = threading.Event()
    first: list[float] = []

    def count(sent_ns: int) -> None:
        now = time.time_ns()
        if not first:
            first.append(time.perf_counter())
        latencies.append((now - sent_ns) / 1e6)
        if len(latencies) >= messages:
            done.set()

    if bridged:
        client = MqttBridgeClient(
            IotBridge([ROUTE]), '127.0.0.1', port,
            lambda r: count(r.stamp_ns) if r.status == 0 else None,  # not the stale ones
            client_id='bench-bridge', qos=qos, persistent=False,
        )  # fmt: skip
        client.start()
        connected = lambda: client.connected  # noqa: E731
        stop = client.stop
    else:
        bare = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id='bench-bare',
                           protocol=mqtt.MQTTv5)  # fmt: skip
        state = {'connected': False}

        def on_connect(c, u, f, r, p) -> None:
            c.subscribe(ROUTE.topic, qos=qos)
            state['connected'] = True

        def on_message(c, u, m) -> None:
            count(json.loads(m.payload)['ts'])

        bare.on_connect, bare.on_message = on_connect, on_message
        bare.connect('127.0.0.1', port)
        bare.loop_start()
        connected = lambda: state['connected']  # noqa: E731

        def stop() -> None:
            bare.loop_stop()
            bare.disconnect()

    deadline = time.monotonic() + 10
    while not connected() and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.2)
    # the devices: another process, so the subscriber under test has its interpreter alone
    publisher = subprocess.Popen(
        [sys.executable, __file__, '--publish', str(port), str(messages), str(rate_hz), str(qos)]
    )
    done.wait(timeout=60)
    last = time.perf_counter()
    publisher.wait(timeout=60)
    stop()
    received = len(latencies)
    rate = received / (last - first[0]) if first and last > first[0] else 0.0
    return rate, np.asarray(latencies)


def publish(port: int, messages: int, rate_hz: float, qos: int = 0) -> None:
    """The devices' side: ``messages`` JSON readings, paced at ``rate_hz`` (0: flat out)."""
    import paho.mqtt.client as mqtt

    publisher = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    publisher.connect('127.0.0.1', port)
    publisher.loop_start()
    start = time.perf_counter()
    info = None
    for k in range(messages):
        if rate_hz:
            time.sleep(max(0.0, start + k / rate_hz - time.perf_counter()))
        body = json.dumps({'t': 70.0 + k % 10, 'ts': time.time_ns(), 'q': 'GOOD'}).encode()
        info = publisher.publish(f'factory/line3/o{k % 16}/temperature', body, qos=qos)
    if info is not None:
        info.wait_for_publish(timeout=60)
    publisher.loop_stop()
    publisher.disconnect()


def main() -> None:
    if sys.argv[1:2] == ['--bridge-worker']:
        bridge_worker(int(sys.argv[2]), sys.argv[3])
        return
    if sys.argv[1:2] == ['--publish']:
        publish(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]))
        return
    mosquitto = shutil.which('mosquitto') or '/usr/sbin/mosquitto'
    if not Path(mosquitto).exists():
        print('bench/iot.py skipped: mosquitto is not installed')
        return
    core_only()
    port = _free_port()
    with tempfile.TemporaryDirectory() as tmp:
        config = Path(tmp) / 'mosquitto.conf'
        config.write_text(
            f'listener {port} 127.0.0.1\nallow_anonymous true\nmax_queued_messages 0\n'
        )
        broker = subprocess.Popen(
            [mosquitto, '-c', str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        time.sleep(0.5)
        try:
            flood: dict[str, list[tuple[float, np.ndarray]]] = {'bare': [], 'bridge': []}
            paced: dict[str, list[tuple[float, np.ndarray]]] = {'bare': [], 'bridge': []}
            shared: dict[int, list[float]] = {1: [], 2: []}
            ends: dict[str, list[float]] = {f'{n} qos {q}': [] for q in (0, 1)
                                            for n in ('bare', 'record')}  # fmt: skip
            for _ in range(ROUNDS):  # A/B/A/B
                for name in flood:
                    flood[name].append(run_subscriber(port, bridged=name == 'bridge'))
                for qos in (0, 1):
                    ends[f'bare qos {qos}'].append(run_subscriber(port, False, qos=qos)[0])
                    ends[f'record qos {qos}'].append(run_record(port, qos))
                for workers in (1, 2):
                    shared[workers].append(run_shared(port, workers))
                for name in paced:
                    paced[name].append(
                        run_subscriber(port, name == 'bridge', messages=2000, rate_hz=1000.0)
                    )
        finally:
            broker.terminate()
            broker.wait(timeout=10)
    rate = {k: float(np.median([r for r, _ in v])) for k, v in flood.items()}
    latency = {k: np.concatenate([lat for _, lat in v]) for k, v in paced.items()}
    p50 = {k: float(np.median(v)) for k, v in latency.items()}
    p99 = {k: float(np.percentile(v, 99)) for k, v in latency.items()}
    print(f'MQTT path on loopback, {ROUNDS} runs of each, alternated:')
    print(f'  throughput ({MESSAGES} QoS 0 messages as fast as paho publishes them):')
    for name in rate:
        print(f'    {name:<7} {rate[name]:10,.0f} readings/s')
    print('  latency, broker -> reading (2000 messages at 1 kHz):')
    for name in p50:
        print(f'    {name:<7} p50 {p50[name]:6.2f} ms   p99 {p99[name]:6.2f} ms')
    print(
        f'  => bridge {rate["bridge"]:,.0f} readings/s, {rate["bridge"] / rate["bare"]:.2f}x the '
        f'bare subscriber (goal >= 20,000/s); p99 {p99["bridge"] - p99["bare"]:+.2f} ms above '
        'it (goal <= 2 ms)'
    )
    one, two = (float(np.median(shared[k])) for k in (1, 2))
    print(f'  shared subscription, bridge processes: 1 -> {one:,.0f} readings/s, 2 -> '
          f'{two:,.0f}/s: {two / one:.2f}x (goal >= 1.7x on 2 cores; the publisher and the '
          'broker run on the same cores)')  # fmt: skip
    print('  iot record end to end (bag written and closed) beside the bare subscriber:')
    for qos in (0, 1):
        bare = float(np.median(ends[f'bare qos {qos}']))
        record = float(np.median(ends[f'record qos {qos}']))
        print(
            f'    QoS {qos}: record {record:10,.0f} readings/s, bare {bare:10,.0f}/s: '
            f'{record / bare:.2f}x (goal >= 0.8x)'
        )


if __name__ == '__main__':
    main()
