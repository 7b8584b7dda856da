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


"""Simulation commands: ``sim record`` and ``sim eval`` (``sim collect`` is in :mod:`.learn`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from physical_ai_ros.cli.arguments import add_link_arguments, needs, positive, positive_int
from physical_ai_ros.cli.learn import register_collect
from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.policies.adversarial import ADVERSARIES  # onnx only when built
from physical_ai_ros.sim.scene import SCENARIOS

if TYPE_CHECKING:
    from physical_ai_ros.cli.arguments import Commands
    from physical_ai_ros.replay.runner import ReplayOptions


def register(commands: Commands) -> None:
    """Add ``sim record``, ``sim eval`` and ``sim collect``."""
    sim = commands.add_parser(
        'sim', help='MuJoCo factory scenarios: record bags, evaluate policies, collect data'
    )
    sim_commands = sim.add_subparsers(dest='sim_command', metavar='ACTION', required=True)
    _register_record(sim_commands)
    _register_eval(sim_commands)
    register_collect(sim_commands)


def _register_record(sim_commands: Commands) -> None:
    record = sim_commands.add_parser(
        'record', help='record a closed-loop episode (sensors, TF, odometry, outputs) as a rosbag2'
    )
    record.add_argument('--scenario', default='aisle', choices=SCENARIOS, help='the scene')
    record.add_argument('--seconds', type=positive, default=20.0, help='episode length [s]')
    record.add_argument(
        '--seed', type=int, default=0, help='randomisation seed (same seed, same bag)'
    )
    record.add_argument('--out', required=True, help='bag directory to create')
    record.add_argument('--params', help='params file of the nodes')
    record.add_argument('--model', help='ONNX policy driving the robot (default: reference)')
    record.add_argument(
        '--storage', choices=('mcap', 'sqlite3'), default='mcap', help='rosbag2 storage plugin'
    )
    record.add_argument(
        '--mqtt',
        default='',
        metavar='HOST:PORT',
        help='also publish the IoT sensors to this broker, as devices do '
        '(mapped back by config/iot/sim_mapping.yaml)',
    )
    record.add_argument('--mqtt-prefix', default='sim', help='topic prefix of --mqtt')
    record.set_defaults(handler=_record)
    needs(record, 'mujoco')


def _register_eval(sim_commands: Commands) -> None:
    evaluate = sim_commands.add_parser('eval', help='closed-loop evaluation of a policy')
    evaluate.add_argument('--model', help='ONNX policy (default: the reference policy)')
    evaluate.add_argument(
        '--adversarial', choices=ADVERSARIES,
        help='drive with a policy that tries to crash (built into --out-dir; instead of '
        '--model): proves the collision monitor',
    )  # fmt: skip
    evaluate.add_argument('--scenario', default='aisle', choices=SCENARIOS, help='the scene')
    evaluate.add_argument(
        '--episodes', type=positive_int, default=5, help='number of episodes (seeds)'
    )
    evaluate.add_argument('--seed', type=int, default=0, help='seed of the first episode')
    evaluate.add_argument(
        '--seconds', type=positive, default=40.0, help='time limit per episode [s]'
    )
    evaluate.add_argument('--params', help='params file of the nodes')
    add_link_arguments(evaluate)
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
    evaluate.set_defaults(handler=_eval)


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


def _record(args: argparse.Namespace) -> int:
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
            args.scenario,
            args.seed,
            args.out,
            seconds=args.seconds,
            options=_sim_options(args),
            storage=args.storage,
            stop_at_goal=False,
            iot_sink=devices,
        )
    finally:
        if devices is not None:
            devices.close()
    print(
        f'wrote {episode.bag} ({args.storage}, {episode.seconds:.1f} s of {args.scenario}, '
        f'seed {args.seed})'
        + (f'; published {devices.sent} IoT readings to {args.mqtt}' if devices else '')
    )
    return 0


def _eval(args: argparse.Namespace) -> int:
    """Run closed-loop episodes and report how the robot did (beside the reference, if asked)."""
    from physical_ai_ros.replay.outputs import prepare_bag_output
    from physical_ai_ros.sim.episode import DEFAULT_RATES, run_episode

    if args.adversarial and args.model:
        raise PhysicalAiError('--adversarial and --model: choose one policy')
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    rates = DEFAULT_RATES
    if args.fast_camera:
        from physical_ai_ros.learn.collect import fast_rates

        rates = fast_rates()
    if args.adversarial:
        args.model = str(_build_adversary(args.adversarial, out))
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
                f'collisions {episode.collisions} ({episode.describe_hits()}; '
                f'{episode.moving_collisions} while moving), '
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
            f'with a mover in {sum(r.mover_hits > 0 for r in results)}, while moving in '
            f'{sum(r.moving_collisions > 0 for r in results)}; '
            f'min clearance {min(r.min_clearance_m for r in results):.2f} m; mean time to '
            f'goal {mean_time}'
        )
    return 0


def _build_adversary(name: str, out: Path) -> Path:
    """Write adversarial policy ``name`` into ``out`` (needs onnx: the test or train extra)."""
    try:
        from physical_ai_ros.policies.adversarial import write_adversary
    except ImportError as exc:  # onnx builds it
        raise PhysicalAiError(
            f'--adversarial needs {exc.name}: pip install -e "physical_ai_ros[test]"'
        ) from None
    return write_adversary(name, out / f'adversary_{name}.onnx')
