# Copyright 2026 physical_ai_ros contributors
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""The ``physical-ai`` command: offline tools for integrators, technicians and CI."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
import math
import os
from pathlib import Path
import signal
import sys
import tempfile
import threading
from typing import Any, TYPE_CHECKING

from physical_ai_ros import __version__
from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.sim.scene import SCENARIOS

if TYPE_CHECKING:
    from physical_ai_ros.replay.runner import ReplayOptions

Handler = Callable[[argparse.Namespace], int]


def _cmd_version(args: argparse.Namespace) -> int:
    """Print the package version and the versions of the libraries it runs on."""
    from importlib.metadata import PackageNotFoundError, version

    import cv2
    import numpy

    try:
        rosbags = version('rosbags')
    except PackageNotFoundError:
        rosbags = 'not installed'
    print(f'physical_ai_ros {__version__}')
    print(
        f'  python {sys.version.split()[0]}, numpy {numpy.__version__}, opencv {cv2.__version__}'
    )
    print(f'  rosbags {rosbags}')
    try:
        import onnxruntime

        providers = ', '.join(onnxruntime.get_available_providers())
        print(f'  onnxruntime {onnxruntime.__version__} (providers: {providers})')
    except ImportError:
        print('  onnxruntime: not installed')
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    """Summarise a rosbag2: storage, duration, and per topic its type, count and rate."""
    from physical_ai_ros.replay.baginfo import format_summary, summarize_bag

    print(format_summary(summarize_bag(args.bag)))
    return 0


def _cmd_make_demo_bag(args: argparse.Namespace) -> int:
    """Write the synthetic factory-aisle scenario as a rosbag2."""
    from physical_ai_ros.sim.synthetic import ScenarioConfig, write_synthetic_bag

    config = ScenarioConfig(seconds=args.seconds, seed=args.seed)
    path = write_synthetic_bag(args.out, config, storage=args.storage)
    print(f'wrote {path} ({args.storage}, {args.seconds:g} s, seed {args.seed})')
    return 0


def _cmd_iot_check(args: argparse.Namespace) -> int:
    """Check an IoT bridge mapping file; one line per route, or the first problem (exit 2)."""
    from physical_ai_ros.core.params.iot_mapping import load_mapping

    mapping = load_mapping(args.mapping)
    for route in mapping.mqtt:
        rate = f', at most {route.max_rate_hz:g} Hz' if route.max_rate_hz else ''
        spec = route.payload
        what = f'sparkplug metric {spec.metric!r}' if spec.format == 'sparkplug' else spec.format
        stamp = 'device time' if spec.format == 'sparkplug' or spec.timestamp else 'receipt time'
        print(
            f'{route.topic} -> {route.sensor_id} ({route.quantity}, {route.unit} -> '
            f'{route.to_unit}, {what}, {stamp}{rate})'
        )
    for node in mapping.opcua:
        rate = f', at most {node.max_rate_hz:g} Hz' if node.max_rate_hz else ''
        print(
            f'opcua {node.node_id} -> {node.sensor_id} ({node.quantity}, {node.unit} -> '
            f'{node.to_unit}, sampled every {node.sampling_interval_ms:g} ms, SourceTimestamp'
            f'{rate})'
        )
    print(f'{args.mapping}: {len(mapping.mqtt)} MQTT and {len(mapping.opcua)} OPC UA route(s) ok')
    return 0


def _cmd_iot_record(args: argparse.Namespace) -> int:
    """Record the bridged readings of a broker into a rosbag2 (iot/readings, IotReading)."""
    import queue
    import time

    from physical_ai_ros.core.messages.stamps import make_header
    from physical_ai_ros.core.params.iot_mapping import load_mapping
    from physical_ai_ros.core.perception.bridge import IotBridge
    from physical_ai_ros.core.perception.iot import Reading
    from physical_ai_ros.inference.tls import split_endpoint
    from physical_ai_ros.iot.mqtt import MqttBridgeClient
    from physical_ai_ros.replay.bagwriter import BagWriter
    from physical_ai_ros.replay.outputs import prepare_bag_output
    from physical_ai_ros.replay.typestore import TypestoreTypes

    host, port = split_endpoint(args.broker)
    mapping = load_mapping(args.mapping)
    bridge = IotBridge(mapping.mqtt, mapping.opcua)
    if mapping.opcua and not args.opcua:
        raise PhysicalAiError(f'{args.mapping} has opcua: routes: name the server with --opcua')
    out = Path(args.out)
    prepare_bag_output(out, (), force=args.force)
    received: queue.Queue[tuple[int, Reading]] = queue.Queue()
    clients: list[Any] = []
    if mapping.mqtt:
        clients.append(MqttBridgeClient(
            bridge, host, port, lambda r: received.put((time.time_ns(), r)),
            client_id=args.client_id, persistent=False,
        ))  # fmt: skip
    if mapping.opcua:
        from physical_ai_ros.iot.opcua import OpcUaBridgeClient

        clients.append(
            OpcUaBridgeClient(bridge, args.opcua, lambda r: received.put((time.time_ns(), r)))
        )
    types = TypestoreTypes()
    cls = types.get('physical_ai_ros_interfaces/msg/IotReading')
    count = 0
    for client in clients:
        client.start()
    try:
        with BagWriter(out, types) as bag:
            deadline = time.monotonic() + args.seconds
            while time.monotonic() < deadline and count != args.max_readings:
                try:
                    receipt, r = received.get(timeout=0.1)
                except queue.Empty:
                    continue
                msg = cls(
                    header=make_header(r.stamp_ns, 'odom', types), sensor_id=r.sensor_id,
                    quantity=r.quantity, value=r.value, unit=r.unit, variance=0.0,
                    status=r.status,
                )  # fmt: skip
                bag.write(args.topic, msg, receipt)  # log time: when it arrived here
                count += 1
    finally:
        for client in clients:
            client.stop()
    rejected = ', '.join(f'{k} {v}' for k, v in sorted(bridge.status.rejected.items()))
    print(
        f'wrote {out}: {count} readings on {args.topic}'
        + (f'; refused: {rejected}' if rejected else '')
    )
    return 0


def _cmd_suite_run(args: argparse.Namespace) -> int:
    """Run a regression suite; exit 1 if a case regressed, 2 on errors."""
    from physical_ai_ros.suite.run import run_suite
    from physical_ai_ros.suite.spec import load_suite
    from physical_ai_ros.suite.verdict import exit_code, totals

    suite = load_suite(args.suite)
    run = Path(args.out)
    print(f'[suite] {len(suite.cases)} case(s) from {args.suite} on engine {args.engine} '
          f'({args.workers} worker(s){", " + args.address if args.address else ""})')  # fmt: skip
    outcome = run_suite(
        suite, run, engine=args.engine, workers=args.workers, address=args.address,
        no_cache=args.no_cache, case_timeout_s=args.case_timeout or 0.0,
        say=lambda line: print(line, flush=True),
    )  # fmt: skip
    counts = ', '.join(f'{k} {v}' for k, v in totals(outcome.results).items() if v)
    print(f'[suite] {counts}')
    print(f'[suite] verdict: {run / "index.html"}, {run / "junit.xml"}, {run / "summary.json"}')
    if outcome.interrupted:
        return 130
    return exit_code(outcome.results)


def _cmd_suite_golden(args: argparse.Namespace) -> int:
    """Accept a run's outputs as the suite's golden bags."""
    from physical_ai_ros.suite.run import update_golden
    from physical_ai_ros.suite.spec import load_suite

    if not args.update:
        raise PhysicalAiError('suite golden changes the golden store only with --update')
    suite = load_suite(args.suite)
    accepted = update_golden(suite, Path(args.run))
    print(f'golden store {suite.golden}: {len(accepted)} case(s) accepted from {args.run}')
    return 0


def _cmd_suite_diff(args: argparse.Namespace) -> int:
    """Compare two runs case by case on behaviour: stops, time stopped, jerk, clearance."""
    from physical_ai_ros.suite.run import diff_runs, format_diff

    for run in (args.run_a, args.run_b):
        if not (Path(run) / 'summary.json').is_file():
            raise PhysicalAiError(f'{run}: not a suite run (no summary.json)')
    diffs = diff_runs(Path(args.run_a), Path(args.run_b))
    print(format_diff(diffs, Path(args.run_a).name, Path(args.run_b).name))
    return 0


def _cmd_dataset_export(args: argparse.Namespace) -> int:
    """Export bags as an imitation dataset: the runtime's observations and the recorded actions."""
    from physical_ai_ros.learn.dataset import export_dataset

    index = export_dataset(
        [Path(b) for b in args.bags], Path(args.params), Path(args.contract), Path(args.out),
        max_label_delay_s=args.max_label_delay, force=args.force, action_topic=args.action_topic,
        jobs=_jobs(args.jobs, len(args.bags)),
    )  # fmt: skip
    for episode in index['episodes']:
        print(f"{episode['bag']}: {episode['steps']} steps ({episode['skipped_unlabelled']} "
              f"without a recorded command on {episode['command_topic']})")  # fmt: skip
    steps = sum(e['steps'] for e in index['episodes'])
    print(
        f'wrote {args.out}: {len(index["episodes"])} episode(s), {steps} steps, contract '
        f'{index["contract"].get("name")!r} (sha256 {index["contract_sha256"][:12]})'
    )
    return 0


def _cmd_train_bc(args: argparse.Namespace) -> int:
    """Behaviour cloning: a dataset into an ONNX policy carrying its contract."""
    from physical_ai_ros.learn.train import train_bc

    report = train_bc(Path(args.dataset), Path(args.contract), Path(args.out),
                      epochs=args.epochs, hidden=_hidden(args.hidden), seed=args.seed,
                      balance=args.balance, mirror=args.mirror,
                      ensemble=args.ensemble,
                      jobs=_jobs(args.jobs, args.ensemble))  # fmt: skip
    final = report.validation_mae[-1]
    print(
        f'trained {args.out} on {report.train_steps} steps, {report.epochs} epochs, '
        f'{_seeds(args.seed, args.ensemble)}; validation ({report.validation_steps} steps) '
        'mean abs error:'
    )
    for k, axis in enumerate(report.axes):
        print(f'  {axis}: {final[k]:.4f} (a constant mean command: {report.baseline_mae[k]:.4f})')
    print(f'report: {Path(args.out).with_suffix(".report.json")} and .png')
    return 0


def _jobs(given: int | None, tasks: int) -> int:
    """``--jobs`` as given, else one worker per CPU core and no more than ``tasks``."""
    from physical_ai_ros.learn.parallel import default_jobs

    return given if given is not None else default_jobs(tasks)


def _add_jobs(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument('--jobs', type=_positive_int,
                        help=f'{what} side by side, a worker process each (default: one per '
                        'CPU core); the output is the same bytes for any number')  # fmt: skip


def _seeds(seed: int, count: int) -> str:
    """'seed 3', or 'mean of 5 networks, seeds 3-7'."""
    if count == 1:
        return f'seed {seed}'
    return f'mean of {count} networks, seeds {seed}-{seed + count - 1}'


def _remaps(items: Sequence[str]) -> dict[str, str]:
    """``--remap node_topic:=bag_topic`` arguments as a dict."""
    remaps = {}
    for item in items:
        source, sep, target = item.partition(':=')
        if not sep or not source or not target:
            raise PhysicalAiError(f'--remap {item!r}: expected node_topic:=bag_topic')
        remaps[source.lstrip('/')] = target
    return remaps


def _cmd_compare(args: argparse.Namespace) -> int:
    """Replay a bag with a learned and a reference policy; compare what the gate let out."""
    from physical_ai_ros.learn.compare import compare_on_bag
    from physical_ai_ros.replay.outputs import prepare_bag_output
    from physical_ai_ros.replay.runner import ReplayOptions

    out = Path(args.out)
    for name in ('learned', 'reference'):
        prepare_bag_output(out / name / 'output', (Path(args.bag),), force=args.force)
    options = ReplayOptions(
        params=Path(args.params) if args.params else None, namespace=args.namespace,
        remaps=_remaps(args.remap), restamp=args.restamp,
    )  # fmt: skip
    against = Path(args.against) if args.against else None
    comparison = compare_on_bag(Path(args.bag), out, options, Path(args.model), against)
    print(comparison.describe())
    return 0 if comparison.safe else 1


def _hidden(text: str) -> tuple[int, ...]:
    """``64,32`` -> (64, 32)."""
    return tuple(int(n) for n in text.split(',') if n)


def _cmd_serve(args: argparse.Namespace) -> int:
    """Serve an ONNX policy over the Open Inference Protocol until SIGINT or SIGTERM."""
    from physical_ai_ros.inference.server import start_server
    from physical_ai_ros.inference.tls import read_token, TlsFiles

    if bool(args.tls_cert) != bool(args.tls_key):
        raise PhysicalAiError('--tls-cert and --tls-key go together')
    if args.client_ca and not args.tls_cert:
        raise PhysicalAiError('--client-ca (mutual TLS) needs --tls-cert and --tls-key')
    tls = TlsFiles(args.client_ca or '', args.tls_cert or '', args.tls_key or '')
    token = read_token(args.token_env or '', '')
    server, port = start_server(
        args.model,
        name=args.name,
        host=args.host,
        port=args.port,
        tls=tls if args.tls_cert else None,
        require_client_cert=bool(args.client_ca),
        token=token,
    )
    mode = 'mutual TLS' if args.client_ca else 'TLS' if args.tls_cert else 'plaintext'
    print(f'serving {args.model} as {args.name!r} on {args.host}:{port} ({mode})', flush=True)
    try:
        server.wait_for_termination()
    finally:
        server.stop(grace=1.0)
    return 0


def _cmd_model_inspect(args: argparse.Namespace) -> int:
    """Print a model's tensors and contract, and check that they fit."""
    from physical_ai_ros.core.policy.runtime import PolicyModel

    model = PolicyModel.load(
        args.model,
        contract_path=args.contract,
        providers=args.providers.split(','),
        expected_sha256=args.sha256,
    )
    session = model.session
    print(f'model:     {model.path}')
    print(f'sha256:    {model.sha256}')
    print(f'providers: {", ".join(model.providers)}')
    for warning in model.warnings:
        print(f'warning:   {warning}')
    print('inputs:')
    for arg in session.get_inputs():
        print(f'  {arg.name:<16} {arg.type:<16} {list(arg.shape)}')
    print('outputs:')
    for arg in session.get_outputs():
        print(f'  {arg.name:<16} {arg.type:<16} {list(arg.shape)}')
    contract = model.contract
    print(f'contract:  {contract.name}')
    for spec in contract.inputs:
        print(
            f'  {spec.tensor:<16} <- {spec.source:<16} {list(spec.names)}  '
            f'shape {list(spec.shape)}'
        )
    out = contract.output
    print(f'  {out.tensor:<16} -> {out.command:<16} {list(out.fields)}')
    print('check:     contract fits the model; warm-up run passed')
    return 0


def _cmd_model_make_reference(args: argparse.Namespace) -> int:
    """Write the shipped reference policy (contract embedded) to a file."""
    import shutil

    from physical_ai_ros.core.policy.runtime import sha256_of
    from physical_ai_ros.policies.reference import SHIPPED

    path = Path(args.out)
    if path.parent and not path.parent.is_dir():
        raise PhysicalAiError(f'{path}: folder {path.parent} does not exist')
    shutil.copyfile(SHIPPED, path)
    print(f'wrote {path} (sha256 {sha256_of(path.read_bytes())})')
    return 0


def _cmd_check_config(args: argparse.Namespace) -> int:
    """Validate ros__parameters files; exit 1 when any problem is found."""
    from physical_ai_ros.core.params.config_check import check_params_file

    failed = False
    for path in args.files:
        if not Path(path).is_file():
            raise PhysicalAiError(f'{path}: no such file')
        problems = check_params_file(path)
        for problem in problems:
            print(problem.format(path), file=sys.stderr)
        if problems:
            failed = True
            print(f'{path}: {len(problems)} problem(s)', file=sys.stderr)
        else:
            print(f'{path}: OK')
    return 1 if failed else 0


def _cmd_params(args: argparse.Namespace) -> int:
    """Print the parameter reference."""
    from physical_ai_ros.core.params.docs import markdown

    text = markdown()
    if args.output:
        try:
            Path(args.output).write_text(text + '\n', encoding='utf-8')
        except OSError as exc:
            raise PhysicalAiError(f'--output {args.output}: {exc.strerror or exc}') from exc
        print(f'wrote {args.output}')
    else:
        print(text)
    return 0


def _cmd_replay(args: argparse.Namespace) -> int:
    """Replay a bag through the pipeline; compare with a golden bag; write the report."""
    from physical_ai_ros.core.stages import COMMAND_TOPICS
    from physical_ai_ros.replay.errors import OutputError
    from physical_ai_ros.replay.golden import command_series, compare_bags, Tolerances
    from physical_ai_ros.replay.junit import suite_name, write_junit
    from physical_ai_ros.replay.outputs import is_bag_folder, prepare_bag_output, replace_golden
    from physical_ai_ros.replay.report import summary, write_report
    from physical_ai_ros.replay.runner import replay, ReplayOptions

    out, bag = Path(args.out), Path(args.bag)
    if out.resolve() == bag.resolve() or bag.resolve() in out.resolve().parents:
        raise OutputError(out, f'is inside the input {bag}; choose another --out')
    golden = Path(args.golden) if args.golden else None
    if args.update_golden and golden is None:
        raise PhysicalAiError('--update-golden needs --golden PATH (where to store the baseline)')
    if golden is not None and args.update_golden and golden.exists() and not is_bag_folder(golden):
        raise OutputError(golden, 'exists and is not a golden bag; not replaced')
    inputs = (bag,) if golden is None else (bag, golden)
    prepare_bag_output(out / 'output', inputs, force=args.force)
    options = ReplayOptions(
        params=Path(args.params) if args.params else None,
        model=Path(args.model) if args.model else None,
        namespace=args.namespace,
        remaps=_remaps(args.remap),
        restamp=args.restamp,
        grid_rate_hz=args.grid_rate,
        distro=args.distro,
        link=Path(args.link) if args.link else None,
        remote_model=Path(args.remote_model) if args.remote_model else None,
    )
    tolerances = Tolerances.load(args.tolerances)
    with _ReplayProgress(enabled=not args.quiet) as progress:
        result = replay(args.bag, out, options, progress=progress)
    comparison = None
    golden_commands = None
    steps = len(result.latency_ms.get('policy', []))
    deadline = (
        (result.deadline_ms, result.deadline_misses, steps) if args.fail_on_deadline else None
    )
    if args.golden and not args.update_golden:
        comparison = compare_bags(result.out_bag, args.golden, tolerances)
        junit = write_junit(
            comparison,
            args.junit or out / 'junit.xml',
            suite=suite_name(args.bag),
            deadline=deadline,
            replay_s=result.wall_s,
        )
        topic = options.topic(COMMAND_TOPICS[args.output_type or _output_type(options)])
        golden_commands = command_series(args.golden, topic, result.axes)
        print(f'junit: {junit}')
    report = None if args.no_report else write_report(result, out, comparison, golden_commands)
    print(summary(result, comparison, report))
    if args.update_golden:
        assert golden is not None
        replace_golden(result.out_bag, golden)
        print(f'golden baseline updated: {golden}')
        return 0
    if comparison is None and deadline is not None:
        junit = write_junit(
            None,
            args.junit or out / 'junit.xml',
            suite=suite_name(args.bag),
            deadline=deadline,
            replay_s=result.wall_s,
        )
        print(f'junit: {junit}')
    if args.fail_on_deadline and result.deadline_misses:
        return 1
    return 1 if comparison is not None and not comparison.passed else 0


def _output_type(options: object) -> str:
    from physical_ai_ros.core.params.config_check import load_node_params
    from physical_ai_ros.core.params.schema import resolve

    params = getattr(options, 'params', None)
    values = resolve('safety_node', load_node_params(params, 'safety_node') if params else {})
    return str(values['output_type'])


class _ReplayProgress:
    """Replay progress on stderr with tqdm: live on a terminal, a line every 10 s in CI logs."""

    def __init__(self, *, enabled: bool) -> None:
        from tqdm import tqdm

        tty = sys.stderr.isatty()
        self._bar = tqdm(
            total=100.0,
            desc='replaying',
            unit='%',
            file=sys.stderr,
            disable=not enabled,
            dynamic_ncols=tty,
            ncols=None if tty else 80,
            mininterval=0.1 if tty else 10.0,
            bar_format='{desc} {percentage:5.1f}% |{bar}| {elapsed} elapsed, {remaining} left',
        )

    def __call__(self, fraction: float) -> None:
        self._bar.update(min(max(fraction, 0.0), 1.0) * 100.0 - self._bar.n)

    def __enter__(self) -> _ReplayProgress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._bar.close()


def _sim_options(args: argparse.Namespace) -> ReplayOptions:
    """Pipeline options of a simulation: the params file and the model the user named."""
    from physical_ai_ros.replay.runner import ReplayOptions

    model = getattr(args, 'model', None)
    link, remote = getattr(args, 'link', None), getattr(args, 'remote_model', None)
    return ReplayOptions(
        params=Path(args.params) if args.params else None,
        model=Path(model) if model else None,
        link=Path(link) if link else None,
        remote_model=Path(remote) if remote else None,
    )


def _cmd_sim_record(args: argparse.Namespace) -> int:
    """Record a closed-loop MuJoCo episode (the robot driven by the policy) as a rosbag2."""
    from physical_ai_ros.sim.episode import run_episode

    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    devices = None
    if args.mqtt:
        from physical_ai_ros.inference.tls import split_endpoint
        from physical_ai_ros.sim.devices import MqttDevices

        host, port = split_endpoint(args.mqtt.removeprefix('mqtt://'))
        try:
            devices = MqttDevices(host, port, args.mqtt_prefix)
        except OSError as exc:
            raise PhysicalAiError(f'--mqtt {args.mqtt}: cannot reach the broker ({exc})') from None
    try:
        episode = run_episode(
            args.scenario, args.seed, args.out, seconds=args.seconds,
            options=_sim_options(args),
            storage=args.storage, stop_at_goal=False, iot_sink=devices,
        )  # fmt: skip
    finally:
        if devices is not None:
            devices.close()
    print(
        f'wrote {episode.bag} ({args.storage}, {episode.seconds:.1f} s of {args.scenario}, '
        f'seed {args.seed})'
        + (f'; published {devices.sent} IoT readings to {args.mqtt}' if devices else '')
    )
    return 0


def _cmd_sim_collect(args: argparse.Namespace) -> int:
    """Expert demonstrations and DAgger rounds into a dataset."""
    from physical_ai_ros.learn.collect import collect

    summaries = collect(
        args.scenario or ['aisle'], args.episodes, args.seed, args.dagger_rounds, Path(args.out),
        params=Path(args.params), contract=Path(args.contract), seconds=args.seconds,
        epochs=args.epochs, keep_bags=args.keep_bags, crossing_starts=args.crossing_starts,
        steering_noise=args.steering_noise, balance=args.balance, mirror=args.mirror,
        hidden=_hidden(args.hidden), jobs=_jobs(args.jobs, os.cpu_count() or 1),
        say=lambda line: print(line, flush=True),
    )  # fmt: skip
    print(f'wrote {args.out}: {len(summaries)} episodes labelled by the expert '
          f'({args.dagger_rounds} DAgger round(s))')  # fmt: skip
    return 0


def _cmd_sim_eval(args: argparse.Namespace) -> int:
    """Run closed-loop episodes and report how the robot did (beside the reference, if asked)."""
    from physical_ai_ros.replay.outputs import prepare_bag_output
    from physical_ai_ros.sim.episode import DEFAULT_RATES, run_episode

    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rates = DEFAULT_RATES
    if args.fast_camera:
        from physical_ai_ros.learn.collect import fast_rates

        rates = fast_rates()
    drivers = [('model', _sim_options(args))]
    if args.compare_reference:
        from physical_ai_ros.replay.runner import ReplayOptions

        # the same params, the built-in reference model, no link
        drivers.append(('reference', ReplayOptions(params=_sim_options(args).params)))
    table = {}
    for name, options in drivers:
        results = []
        for k in range(args.episodes):
            seed = args.seed + k
            suffix = '' if name == 'model' else '_reference'
            bag = out / f'{args.scenario}_seed{seed}{suffix}'
            prepare_bag_output(bag, (), force=args.force)
            episode = run_episode(
                args.scenario, seed, bag, seconds=args.seconds, options=options, rates=rates
            )
            results.append(episode)
            clearance = f'{episode.min_clearance_m:.2f}'
            to_goal = (
                f'{episode.time_to_goal_s:.1f} s' if episode.time_to_goal_s is not None else '-'
            )
            print(
                f'{name} episode {k} seed {seed}: {"success" if episode.success else "FAIL"}, '
                f'collisions {episode.collisions} ({episode.describe_hits()}), '
                f'min clearance {clearance} m, '
                f'time to goal {to_goal}, mean speed {episode.mean_speed:.2f} m/s, '
                f'safety stops {episode.safety_stops} -> {bag}'
            )
            if episode.replay is not None and episode.replay.link:
                print(f'  link: {episode.replay.link}')
            if args.discard_bags:
                import shutil

                shutil.rmtree(bag)
        table[name] = results
    for name, results in table.items():
        successes = sum(r.success for r in results)
        times = [r.time_to_goal_s for r in results if r.time_to_goal_s is not None]
        mean_time = f'{sum(times) / len(times):.1f} s' if times else '-'
        print(
            f'{args.scenario} ({name}): {successes}/{len(results)} reached the goal without '
            f'collision; collisions in {sum(r.collisions > 0 for r in results)} episode(s), '
            f'with a mover in {sum(r.mover_hits > 0 for r in results)}; '
            f'min clearance {min(r.min_clearance_m for r in results):.2f} m; mean time to '
            f'goal {mean_time}'
        )
    return 0


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of ``physical-ai`` with every subcommand."""
    parser = argparse.ArgumentParser(
        prog='physical-ai',
        description=(
            'Offline tools of physical_ai_ros: inspect bags, check parameter files, '
            'replay recordings through the pipeline. Run "physical-ai COMMAND --help" for details.'
        ),
    )
    parser.add_argument('--version', action='version', version=f'physical_ai_ros {__version__}')
    commands = parser.add_subparsers(dest='command', metavar='COMMAND', required=True)

    version = commands.add_parser('version', help='print versions of the package and its runtime')
    version.set_defaults(handler=_cmd_version)

    info = commands.add_parser(
        'info',
        help='summarise a rosbag2 (topics, types, counts, rates, duration, storage)',
        description='Summarise a rosbag2 directory, or a single .mcap or .db3 file.',
    )
    info.add_argument('bag', help='rosbag2 directory, .mcap file or .db3 file')
    info.set_defaults(handler=_cmd_info)

    check = commands.add_parser(
        'check-config',
        help='validate params files (unknown keys, types, ranges, required ones)',
        description='Check ros__parameters files against the declared parameters of every node. '
        'Each problem names the file and line, node, parameter, value and what is allowed. '
        'Exit 1 when any problem is found.',
    )
    check.add_argument('files', nargs='+', metavar='FILE', help='params YAML files')
    check.set_defaults(handler=_cmd_check_config)

    params = commands.add_parser('params', help='print the parameter reference')
    params.add_argument('--markdown', action='store_true', help='Markdown tables (the default)')
    params.add_argument('--output', help='write to this file instead of stdout')
    params.set_defaults(handler=_cmd_params)

    rp = commands.add_parser(
        'replay',
        help='replay a rosbag2 deterministically through the pipeline; compare with a golden bag',
        description='Feed a bag through perception, policy and safety gate in log-time order with '
        'bag time as the clock, write the outputs to OUT/output (MCAP), a report to '
        'OUT/report.html, and with --golden compare field by field: exit 1 on regression.',
    )
    rp.add_argument('bag', help='rosbag2 directory, .mcap or .db3 file')
    rp.add_argument('--params', help='ROS params file of the nodes (default: built-in defaults)')
    rp.add_argument('--model', help='ONNX policy (default: params model_path, else the reference)')
    rp.add_argument('--out', default='replay_output', help='output folder (default replay_output)')
    rp.add_argument('--golden', help='golden output bag to compare with (or to write, see below)')
    rp.add_argument('--tolerances', help='tolerances YAML for the comparison')
    rp.add_argument(
        '--update-golden', action='store_true', help='accept this run as the new golden'
    )
    rp.add_argument(
        '--force', action='store_true', help='replace OUT/output if a previous run left it'
    )
    rp.add_argument(
        '--fail-on-deadline',
        action='store_true',
        help="exit 1 (and fail JUnit) if a policy step took longer than policy_node's "
        'deadline_ms on this machine',
    )
    rp.add_argument('--junit', help='JUnit XML path (default OUT/junit.xml with --golden)')
    rp.add_argument('--namespace', default='', help='namespace the bag was recorded in')
    rp.add_argument('--remap', action='append', default=[], metavar='NODE_TOPIC:=BAG_TOPIC',
                    help='map a node-relative topic to a bag topic (repeatable)')  # fmt: skip
    rp.add_argument(
        '--grid-rate',
        type=_not_negative,
        default=1.0,
        help='SpatialGrid record rate [Hz] (default 1; 0: none)',
    )
    rp.add_argument(
        '--distro', choices=('humble', 'jazzy'), default='jazzy', help='standard type store'
    )
    rp.add_argument('--output-type', help=argparse.SUPPRESS)
    _add_link_arguments(rp)
    rp.add_argument('--no-report', action='store_true', help='skip the HTML report')
    rp.add_argument('--quiet', action='store_true', help='no progress bar')
    rp.add_argument('--restamp', action='store_true', help=RESTAMP_HELP)
    rp.set_defaults(handler=_cmd_replay)
    compare = commands.add_parser(
        'compare', help='replay a bag with a learned and a reference policy; compare commands',
        description='Replay BAG through the pipeline twice, with --model and with --against '
        '(default: the built-in reference policy), and report for each: commands, whether all '
        "were finite and within the gate's velocity limits, how often the gate intervened; "
        'and how far apart their commands were. Exit 1 if a command was not finite or not '
        'within the limits.',
    )  # fmt: skip
    compare.add_argument('bag', help='rosbag2 directory, .mcap or .db3 file')
    compare.add_argument('--model', required=True, help='the learned ONNX policy')
    compare.add_argument('--against', help='the policy to compare with (default: reference)')
    compare.add_argument('--params', help='ROS params file of the nodes')
    compare.add_argument('--out', default='compare_output',
                         help='output folder (OUT/learned, OUT/reference)')  # fmt: skip
    compare.add_argument('--force', action='store_true', help='replace earlier outputs')
    compare.add_argument('--namespace', default='', help='namespace the bag was recorded in')
    compare.add_argument('--remap', action='append', default=[], metavar='NODE_TOPIC:=BAG_TOPIC',
                         help='map a node-relative topic to a bag topic (repeatable)')  # fmt: skip
    compare.add_argument('--restamp', action='store_true', help=RESTAMP_HELP)
    compare.set_defaults(handler=_cmd_compare)

    sim = commands.add_parser(
        'sim', help='MuJoCo factory scenarios: record bags, evaluate policies'
    )
    sim_commands = sim.add_subparsers(dest='sim_command', metavar='ACTION', required=True)
    record = sim_commands.add_parser(
        'record', help='record a closed-loop episode (sensors, TF, odometry, outputs) as a rosbag2'
    )
    record.add_argument('--scenario', default='aisle', choices=SCENARIOS)
    record.add_argument('--seconds', type=_positive, default=20.0, help='episode length [s]')
    record.add_argument(
        '--seed', type=int, default=0, help='randomisation seed (same seed, same bag)'
    )
    record.add_argument('--out', required=True, help='bag directory to create')
    record.add_argument('--params', help='params file of the nodes')
    record.add_argument('--model', help='ONNX policy driving the robot (default: reference)')
    record.add_argument('--storage', choices=('mcap', 'sqlite3'), default='mcap')
    record.add_argument(
        '--mqtt',
        default='',
        metavar='HOST:PORT',
        help='also publish the IoT sensors to this broker, as devices do '
        '(mapped back by config/iot/sim_mapping.yaml)',
    )
    record.add_argument('--mqtt-prefix', default='sim', help='topic prefix of --mqtt (sim)')
    record.set_defaults(handler=_cmd_sim_record)
    evaluate = sim_commands.add_parser('eval', help='closed-loop evaluation of a policy')
    evaluate.add_argument('--model', help='ONNX policy (default: the reference policy)')
    evaluate.add_argument('--scenario', default='aisle', choices=SCENARIOS)
    evaluate.add_argument(
        '--episodes', type=_positive_int, default=5, help='number of episodes (seeds)'
    )
    evaluate.add_argument('--seed', type=int, default=0, help='seed of the first episode')
    evaluate.add_argument(
        '--seconds', type=_positive, default=40.0, help='time limit per episode [s]'
    )
    evaluate.add_argument('--params', help='params file of the nodes')
    _add_link_arguments(evaluate)
    evaluate.add_argument('--out-dir', default='sim_eval', help='where the episode bags go')
    evaluate.add_argument(
        '--force', action='store_true', help='replace episode bags a previous run left'
    )
    evaluate.add_argument(
        '--compare-reference',
        action='store_true',
        help='also run the reference policy on the same seeds',
    )
    evaluate.add_argument(
        '--fast-camera',
        action='store_true',
        help='the camera at 0.5 Hz (for policies that do not read it)',
    )
    evaluate.add_argument(
        '--discard-bags',
        action='store_true',
        help='delete each episode bag once summarised (~300 MB per 40 s episode)',
    )
    evaluate.set_defaults(handler=_cmd_sim_eval)
    collect = sim_commands.add_parser(
        'collect', help='expert demonstrations, with DAgger rounds, as a dataset'
    )
    collect.add_argument(
        '--scenario',
        action='append',
        choices=SCENARIOS,
        help='scenario (default aisle); repeat for several: each round has --episodes of each',
    )
    collect.add_argument(
        '--episodes', type=_positive_int, default=10, help='per round and scenario'
    )
    collect.add_argument('--seed', type=int, default=0, help='seed of the first episode')
    collect.add_argument(
        '--dagger-rounds',
        type=int,
        default=2,
        help='rounds where the learner drives and the expert labels',
    )
    collect.add_argument('--seconds', type=_positive, default=30.0, help='episode length [s]')
    collect.add_argument('--params', required=True, help='params file of the nodes')
    collect.add_argument(
        '--contract',
        required=True,
        help="the learner's contract (e.g. config/learn/bc_contract.yaml)",
    )
    collect.add_argument(
        '--epochs', type=_positive_int, default=60, help='training epochs between rounds'
    )
    collect.add_argument(
        '--crossing-starts', type=_non_negative_int, default=0,
        help='per scenario and round, this many more short episodes starting short of the '
        'first crossing, movers at random points of their period',
    )  # fmt: skip
    collect.add_argument(
        '--balance', type=_positive_int, default=1,
        help='train bc --balance of the models trained between rounds (1: off)',
    )  # fmt: skip
    collect.add_argument('--mirror', action='store_true',
                         help='train bc --mirror the models trained between rounds')  # fmt: skip
    _add_jobs(collect, "a round's episodes and exports run")
    collect.add_argument(
        '--hidden', default='64,32', help='train bc --hidden of the models between rounds'
    )
    collect.add_argument(
        '--steering-noise', type=_not_negative, default=0.0,
        help='rad/s: the expert drives with this much noise on its turn rate (its clean '
        'command the label), so the data shows how to get back to the lane (0: off)',
    )  # fmt: skip
    collect.add_argument('--out', required=True, help='dataset folder (with bags/, models/)')
    collect.add_argument(
        '--keep-bags',
        action='store_true',
        help='keep the episode bags (~250 MB per 30 s) after export',
    )
    collect.set_defaults(handler=_cmd_sim_collect)

    dataset = commands.add_parser('dataset', help='imitation datasets from bags (Parquet)')
    dataset_commands = dataset.add_subparsers(dest='dataset_command', metavar='ACTION',
                                              required=True)  # fmt: skip
    export = dataset_commands.add_parser(
        'export', help="the runtime's observations at each policy step, with the bag's commands"
    )
    export.add_argument('bags', nargs='+', help='bags (one episode each)')
    export.add_argument('--params', required=True, help='params file of the nodes')
    export.add_argument(
        '--contract', required=True, help='the contract (YAML, or an ONNX model carrying one)'
    )
    export.add_argument('--out', required=True, help='dataset folder to create')
    export.add_argument(
        '--max-label-delay',
        type=_positive,
        default=0.2,
        help='a step is labelled with the first command within this [s]',
    )
    export.add_argument('--action-topic', default='',
                        help='label from this topic (e.g. /expert/cmd_vel); default: the '
                        'command topic the params name')  # fmt: skip
    export.add_argument('--force', action='store_true', help='replace an existing --out')
    _add_jobs(export, 'bags exported')
    export.set_defaults(handler=_cmd_dataset_export)
    train = commands.add_parser('train', help='learn a policy from a dataset')
    train_commands = train.add_subparsers(dest='train_command', metavar='METHOD', required=True)
    bc = train_commands.add_parser('bc', help='behaviour cloning (scikit-learn MLP -> ONNX)')
    bc.add_argument('--dataset', required=True, help='dataset folder (physical-ai dataset export)')
    bc.add_argument('--contract', required=True, help='the contract (YAML or an ONNX carrying it)')
    bc.add_argument('--out', required=True, help='the ONNX model to write (and its report)')
    bc.add_argument('--epochs', type=_positive_int, default=60)
    bc.add_argument('--hidden', default='64,32', help='hidden layer sizes, comma separated')
    bc.add_argument('--seed', type=int, default=0, help='the same seed, the same model bytes')
    bc.add_argument(
        '--balance',
        type=_positive_int,
        default=1,
        help='repeat steps with rare command magnitudes up to this many times (1 = off)',
    )
    bc.add_argument('--mirror', action='store_true',
                    help='also fit every training step mirrored left-right (grid rows '
                    'reversed, turn rates negated)')  # fmt: skip
    bc.add_argument('--ensemble', type=_positive_int, default=1,
                    help='fit this many networks (seeds --seed, --seed + 1, ...) and answer '
                    'their mean, in one ONNX graph')  # fmt: skip
    _add_jobs(bc, 'networks of --ensemble fitted')
    bc.set_defaults(handler=_cmd_train_bc)
    suite = commands.add_parser('suite', help='regression suites: bags x params x models, one '
                                'verdict (local workers or Ray)')  # fmt: skip
    suite_commands = suite.add_subparsers(dest='suite_command', metavar='ACTION', required=True)
    suite_run = suite_commands.add_parser('run', help='run a suite file')
    suite_run.add_argument('suite', help='suite YAML')
    suite_run.add_argument(
        '--engine',
        choices=('local', 'ray', 'sequential'),
        default='local',
        help='worker processes here (default), Ray tasks, or one by one',
    )
    suite_run.add_argument(
        '--workers',
        type=_positive_int,
        default=os.cpu_count() or 1,
        help='cases at once (local; Ray: CPUs of the local cluster)',
    )
    suite_run.add_argument('--address', default='', help='Ray cluster to join (ray://... or '
                           'HOST:PORT); default: start a local one')  # fmt: skip
    suite_run.add_argument('--out', default='suite_run', help='run folder (verdict, logs)')
    suite_run.add_argument('--no-cache', action='store_true', help='replay every case')
    suite_run.add_argument(
        '--case-timeout',
        type=_positive,
        default=None,
        help='seconds a case may run (local, ray); past it: an error',
    )
    suite_run.set_defaults(handler=_cmd_suite_run)
    suite_golden = suite_commands.add_parser('golden', help="accept a run's outputs as golden")
    suite_golden.add_argument('suite', help='suite YAML (names the golden store)')
    suite_golden.add_argument('--update', action='store_true', help='replace the golden bags')
    suite_golden.add_argument('--run', default='suite_run', help='the run to accept')
    suite_golden.set_defaults(handler=_cmd_suite_golden)
    suite_diff = suite_commands.add_parser('diff', help='two runs case by case (model A vs B)')
    suite_diff.add_argument('run_a')
    suite_diff.add_argument('run_b')
    suite_diff.set_defaults(handler=_cmd_suite_diff)
    iot = commands.add_parser('iot', help='the factory IoT bridge (MQTT, Sparkplug B, OPC UA)')
    iot_commands = iot.add_subparsers(dest='iot_command', required=True, metavar='COMMAND')
    iot_check = iot_commands.add_parser('check', help='check a bridge mapping file')
    iot_check.add_argument('mapping', help='mapping YAML (mqtt: and opcua: routes)')
    iot_check.set_defaults(handler=_cmd_iot_check)
    iot_record = iot_commands.add_parser(
        'record', help='record the bridged readings of a broker into a rosbag2'
    )
    iot_record.add_argument('--mapping', required=True, help='mapping YAML (mqtt:, opcua:)')
    iot_record.add_argument('--broker', default='127.0.0.1:1883', help='host:port of the broker')
    iot_record.add_argument(
        '--opcua',
        default='',
        help='OPC UA server of the opcua: routes '
        '(opc.tcp://HOST:PORT/PATH; no security: use the node for that)',
    )
    iot_record.add_argument('--out', required=True, help='bag to write (must not exist)')
    iot_record.add_argument('--seconds', type=_positive, required=True, help='how long [s]')
    iot_record.add_argument(
        '--max-readings',
        type=_positive_int,
        default=None,
        help='stop earlier, after this many readings',
    )
    iot_record.add_argument('--topic', default='/iot/readings', help='bag topic (/iot/readings)')
    iot_record.add_argument('--client-id', default='physical_ai_ros_iot_record', help='MQTT id')
    iot_record.add_argument('--force', action='store_true', help='replace an existing bag')
    iot_record.set_defaults(handler=_cmd_iot_record)

    serve = commands.add_parser(
        'serve', help='serve an ONNX policy over the Open Inference Protocol (gRPC)'
    )
    serve.add_argument('model', help='ONNX model (float32 tensors)')
    serve.add_argument('--name', default='policy', help="model name in requests ('policy')")
    serve.add_argument('--host', default='127.0.0.1', help='address to listen on (loopback)')
    serve.add_argument('--port', type=int, default=8001, help='port (default 8001; 0: any)')
    serve.add_argument('--tls-cert', help='server certificate (PEM): serve TLS')
    serve.add_argument('--tls-key', help='private key of the server certificate (PEM)')
    serve.add_argument('--client-ca', help='CA of client certificates (PEM): mutual TLS')
    serve.add_argument('--token-env', help='environment variable with a bearer token to require')
    serve.set_defaults(handler=_cmd_serve)

    model = commands.add_parser('model', help='inspect and check ONNX policies')
    model_commands = model.add_subparsers(dest='model_command', metavar='ACTION', required=True)
    inspect = model_commands.add_parser(
        'inspect',
        help="print a model's inputs/outputs and its contract, and check that they fit",
        description='Load a model as the policy node would, print its tensors and contract, '
        'and fail (exit 2) with the reason when they do not fit.',
    )
    inspect.add_argument('model', help='ONNX file')
    inspect.add_argument(
        '--contract', help='contract YAML (default: embedded, or MODEL.contract.yaml)'
    )
    inspect.add_argument('--providers', default='cpu', help='comma-separated, e.g. cuda,cpu')
    inspect.add_argument('--sha256', default='', help='refuse the model unless it has this sha256')
    inspect.set_defaults(handler=_cmd_model_inspect)
    reference = model_commands.add_parser(
        'make-reference', help='write the reference reactive policy (ONNX, contract embedded)'
    )
    reference.add_argument('out', help='ONNX file to write')
    reference.set_defaults(handler=_cmd_model_make_reference)

    demo_bag = commands.add_parser(
        'make-demo-bag',
        help='write the built-in synthetic scenario (lidar, camera, IoT, odometry) as a rosbag2',
    )
    demo_bag.add_argument('out', help='bag directory to create (must not exist)')
    demo_bag.add_argument('--seconds', type=_positive, default=8.0, help='length [s] (default 8)')
    demo_bag.add_argument('--seed', type=int, default=0, help='random seed (default 0)')
    demo_bag.add_argument(
        '--storage', choices=('mcap', 'sqlite3'), default='mcap', help='storage (default mcap)'
    )
    demo_bag.set_defaults(handler=_cmd_make_demo_bag)
    return parser


def _add_link_arguments(parser: argparse.ArgumentParser) -> None:
    """``--link`` and ``--remote-model`` (replay and sim eval)."""
    parser.add_argument(
        '--link',
        help='link model YAML: the policy answers as a remote model behind it, the local '
        'one when the link loses or delays an answer (deterministic; core/policy/link.py)',
    )
    parser.add_argument(
        '--remote-model', help='with --link: the model served remotely (default --model)'
    )


def _number(convert: Callable[[str], Any], low: float, *, inclusive: bool) -> Any:
    """An argparse type: a finite number above ``low`` (or at it, if ``inclusive``)."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'{text!r} is not a number') from None
        if not (math.isfinite(value) and (value >= low if inclusive else value > low)):
            raise argparse.ArgumentTypeError(
                f'{text} must be {">=" if inclusive else ">"} {low:g}'
            )
        return value

    return parse


_positive = _number(float, 0.0, inclusive=False)
_positive_int = _number(int, 0.0, inclusive=False)
_not_negative = _number(float, 0.0, inclusive=True)
_non_negative_int = _number(int, 0.0, inclusive=True)


RESTAMP_HELP = (
    "use each message's log time as its header stamp (a bag recorded from a playback of "
    'older data: header stamps far from log times, every sensor stale on arrival)'
)

#: Where libraries keep caches unless told otherwise: $HOME (see main).
SCRATCH_VARIABLES = ('MPLCONFIGDIR', 'XDG_CACHE_HOME')


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the process is so that every open bag is finished on the way out."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


#: Signals received, newest last: a library that swallows the Terminated it raised (scikit-
#: learn's fit) may raise a plain KeyboardInterrupt instead, and this says which signal it was.
_RECEIVED: list[int] = []


def _terminate(signum: int, frame: object) -> None:
    _RECEIVED.append(signum)
    raise Terminated(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``physical-ai``; returns the exit code (2 for a usage or input error).

    SIGINT and SIGTERM (a CI timeout, ``docker stop``) unwind like an exception: the bags
    being written are closed properly (footer and metadata.yaml) and the exit code is
    128 + the signal number. A bag cut short by SIGKILL is read back by ``info`` and
    ``replay`` up to its last complete chunk.
    """
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    _RECEIVED.clear()
    installed = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminate) if installed else None
    # libraries' caches (matplotlib's font list, onnxruntime's device id) go to a scratch
    # folder, not the user's home: the tools write only where they are told to
    with tempfile.TemporaryDirectory(prefix='physical-ai-') as scratch:
        own = [name for name in SCRATCH_VARIABLES if name not in os.environ]
        os.environ.update(dict.fromkeys(own, scratch))
        try:
            return handler(args)
        except PhysicalAiError as exc:
            print(f'physical-ai {args.command}: error: {exc}', file=sys.stderr)
            return 2
        except KeyboardInterrupt as exc:
            signum = (
                exc.signum if isinstance(exc, Terminated)
                else _RECEIVED[-1] if _RECEIVED else signal.SIGINT
            )  # fmt: skip
            name = signal.Signals(signum).name
            print(
                f'physical-ai {args.command}: stopped by {name}; the bags written so far '
                'are complete up to that point',
                file=sys.stderr,
            )
            return 128 + int(signum)
        finally:
            for name in own:
                os.environ.pop(name, None)
            if installed:
                signal.signal(signal.SIGTERM, previous or signal.SIG_DFL)


if __name__ == '__main__':
    sys.exit(main())
