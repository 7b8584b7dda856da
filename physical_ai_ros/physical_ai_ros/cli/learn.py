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


"""Learning commands: ``sim collect`` (expert data), ``dataset export`` and ``train bc``."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import TYPE_CHECKING

from physical_ai_ros.cli.arguments import (
    add_jobs,
    hidden_layers,
    jobs,
    needs,
    non_negative_int,
    not_negative,
    positive,
    positive_int,
)
from physical_ai_ros.sim.scene import SCENARIOS

if TYPE_CHECKING:
    from physical_ai_ros.cli.arguments import Commands


def register(commands: Commands) -> None:
    """Add ``dataset export`` and ``train bc``."""
    dataset = commands.add_parser('dataset', help='imitation datasets from bags (Parquet)')
    dataset_commands = dataset.add_subparsers(
        dest='dataset_command', metavar='ACTION', required=True
    )
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
        type=positive,
        default=0.2,
        help='a step is labelled with the first command within this [s]',
    )
    export.add_argument(
        '--action-topic',
        default='',
        help='label from this topic (e.g. /expert/cmd_vel); default: the '
        'command topic the params name',
    )
    export.add_argument('--force', action='store_true', help='replace an existing --out')
    add_jobs(export, 'bags exported')
    export.set_defaults(handler=_dataset_export)
    needs(export, 'pyarrow')

    train = commands.add_parser('train', help='learn a policy from a dataset')
    train_commands = train.add_subparsers(dest='train_command', metavar='METHOD', required=True)
    bc = train_commands.add_parser('bc', help='behaviour cloning (scikit-learn MLP -> ONNX)')
    bc.add_argument('--dataset', required=True, help='dataset folder (physical-ai dataset export)')
    bc.add_argument('--contract', required=True, help='the contract (YAML or an ONNX carrying it)')
    bc.add_argument('--out', required=True, help='the ONNX model to write (and its report)')
    bc.add_argument(
        '--epochs', type=positive_int, default=60, help='passes over the training steps'
    )
    bc.add_argument(
        '--hidden', type=hidden_layers, default='64,32', help='hidden layer sizes, comma separated'
    )
    bc.add_argument('--seed', type=int, default=0, help='the same seed, the same model bytes')
    bc.add_argument(
        '--balance',
        type=positive_int,
        default=1,
        help='repeat steps with rare command magnitudes up to this many times (1 = off)',
    )
    bc.add_argument(
        '--mirror',
        action='store_true',
        help='also fit every training step mirrored left-right (grid rows '
        'reversed, turn rates negated)',
    )
    bc.add_argument(
        '--ensemble',
        type=positive_int,
        default=1,
        help='fit this many networks (seeds --seed, --seed + 1, ...) and answer '
        'their mean, in one ONNX graph',
    )
    add_jobs(bc, 'networks of --ensemble fitted')
    bc.set_defaults(handler=_train_bc, stop_note='training stopped; no model was written')
    needs(bc, 'sklearn', 'pyarrow', 'onnx')


def _dataset_export(args: argparse.Namespace) -> int:
    """Export bags as an imitation dataset: the runtime's observations and the recorded actions."""
    from physical_ai_ros.learn.dataset import export_dataset

    index = export_dataset(
        [Path(b) for b in args.bags],
        Path(args.params),
        Path(args.contract),
        Path(args.out),
        max_label_delay_s=args.max_label_delay,
        force=args.force,
        action_topic=args.action_topic,
        jobs=jobs(args.jobs, len(args.bags)),
    )
    for episode in index['episodes']:
        print(
            f'{episode["bag"]}: {episode["steps"]} steps ({episode["skipped_unlabelled"]} '
            f'without a recorded command on {episode["command_topic"]})'
        )
    steps = sum(e['steps'] for e in index['episodes'])
    print(
        f'wrote {args.out}: {len(index["episodes"])} episode(s), {steps} steps, contract '
        f'{index["contract"].get("name")!r} (sha256 {index["contract_sha256"][:12]})'
    )
    return 0


def _train_bc(args: argparse.Namespace) -> int:
    """Behaviour cloning: a dataset into an ONNX policy carrying its contract."""
    from physical_ai_ros.learn.train import train_bc

    report = train_bc(
        Path(args.dataset),
        Path(args.contract),
        Path(args.out),
        epochs=args.epochs,
        hidden=args.hidden,
        seed=args.seed,
        balance=args.balance,
        mirror=args.mirror,
        ensemble=args.ensemble,
        jobs=jobs(args.jobs, args.ensemble),
    )
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


def _seeds(seed: int, count: int) -> str:
    """'seed 3', or 'mean of 5 networks, seeds 3-7'."""
    if count == 1:
        return f'seed {seed}'
    return f'mean of {count} networks, seeds {seed}-{seed + count - 1}'


def register_collect(sim_commands: Commands) -> None:
    """Add ``sim collect`` to the ``sim`` group (called by :mod:`.sim`)."""
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
        '--episodes', type=positive_int, default=10, help='episodes per round and scenario'
    )
    collect.add_argument('--seed', type=int, default=0, help='seed of the first episode')
    collect.add_argument(
        '--dagger-rounds',
        type=non_negative_int,
        default=2,
        help='rounds where the learner drives and the expert labels',
    )
    collect.add_argument('--seconds', type=positive, default=30.0, help='episode length [s]')
    collect.add_argument('--params', required=True, help='params file of the nodes')
    collect.add_argument(
        '--contract',
        required=True,
        help="the learner's contract (e.g. config/learn/bc_contract.yaml)",
    )
    collect.add_argument(
        '--epochs',
        type=positive_int,
        default=60,
        help='training epochs of the learners between rounds',
    )
    collect.add_argument(
        '--crossing-starts',
        type=non_negative_int,
        default=0,
        help='per scenario and round, this many more short episodes starting short of the '
        'first crossing, movers at random points of their period',
    )
    collect.add_argument(
        '--balance',
        type=positive_int,
        default=1,
        help='train bc --balance of the models between rounds (1: off)',
    )
    collect.add_argument(
        '--mirror', action='store_true', help='train bc --mirror the models trained between rounds'
    )
    add_jobs(collect, "a round's episodes and exports run")
    collect.add_argument(
        '--hidden',
        type=hidden_layers,
        default='64,32',
        help='train bc --hidden of the models between rounds',
    )
    collect.add_argument(
        '--steering-noise',
        type=not_negative,
        default=0.0,
        help='rad/s: the expert drives with this much noise on its turn rate (its clean '
        'command the label), so the data shows how to get back to the lane (0: off)',
    )
    collect.add_argument('--out', required=True, help='dataset folder (with bags/, models/)')
    collect.add_argument(
        '--keep-bags',
        action='store_true',
        help='keep the episode bags (~250 MB per 30 s) after export',
    )
    collect.set_defaults(handler=_collect)
    needs(collect, 'mujoco', 'pyarrow')


def _collect(args: argparse.Namespace) -> int:
    """Expert demonstrations and DAgger rounds into a dataset."""
    from physical_ai_ros.learn.collect import collect

    summaries = collect(
        args.scenario or ['aisle'],
        args.episodes,
        args.seed,
        args.dagger_rounds,
        Path(args.out),
        params=Path(args.params),
        contract=Path(args.contract),
        seconds=args.seconds,
        epochs=args.epochs,
        keep_bags=args.keep_bags,
        crossing_starts=args.crossing_starts,
        steering_noise=args.steering_noise,
        balance=args.balance,
        mirror=args.mirror,
        hidden=args.hidden,
        jobs=jobs(args.jobs, os.cpu_count() or 1),
        say=lambda line: print(line, flush=True),
    )
    print(
        f'wrote {args.out}: {len(summaries)} episodes labelled by the expert '
        f'({args.dagger_rounds} DAgger round(s))'
    )
    return 0
