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


"""Bag commands: ``info``, ``make-demo-bag``, and ``version`` (what the tools run on)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from physical_ai_ros import __version__
from physical_ai_ros.cli.arguments import positive

if TYPE_CHECKING:
    from physical_ai_ros.cli.arguments import Commands


def register(commands: Commands) -> None:
    """Add ``version``, ``info``, ``bag recover`` and ``make-demo-bag``."""
    version = commands.add_parser('version', help='print versions of the package and its runtime')
    version.set_defaults(handler=_version)

    info = commands.add_parser(
        'info',
        help='summarise a rosbag2 (topics, types, counts, rates, duration, storage)',
        description='Summarise a rosbag2 directory, or a single .mcap or .db3 file.',
    )
    info.add_argument('bag', help='rosbag2 directory, .mcap file or .db3 file')
    info.set_defaults(handler=_info)

    bag = commands.add_parser('bag', help='repair bags: recover one cut short by a crash')
    bag_commands = bag.add_subparsers(dest='bag_command', metavar='ACTION', required=True)
    recover = bag_commands.add_parser(
        'recover',
        help='rewrite a bag cut short by a crash as a complete one (index, footer, metadata)',
        description='Write every message of a cut-short MCAP up to its last complete chunk '
        'into a new, complete rosbag2 that rosbags, ros2 bag and Foxglove open.',
    )
    recover.add_argument('bag', help='the cut-short bag (directory or .mcap file)')
    recover.add_argument('out', help='bag directory to write (must not exist)')
    recover.set_defaults(handler=_recover)

    demo_bag = commands.add_parser(
        'make-demo-bag',
        help='write the built-in synthetic scenario (lidar, camera, IoT, odometry) as a rosbag2',
    )
    demo_bag.add_argument('out', help='bag directory to create (must not exist)')
    demo_bag.add_argument('--seconds', type=positive, default=8.0, help='length [s]')
    demo_bag.add_argument('--seed', type=int, default=0, help='random seed')
    demo_bag.add_argument(
        '--storage', choices=('mcap', 'sqlite3'), default='mcap', help='rosbag2 storage plugin'
    )
    demo_bag.set_defaults(handler=_make_demo_bag)


def _version(args: argparse.Namespace) -> int:
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


def _info(args: argparse.Namespace) -> int:
    """Summarise a rosbag2: storage, duration, and per topic its type, count and rate."""
    from physical_ai_ros.replay.baginfo import format_summary, summarize_bag

    print(format_summary(summarize_bag(args.bag)))
    return 0


def _recover(args: argparse.Namespace) -> int:
    """Rewrite a cut-short bag as a complete one."""
    from physical_ai_ros.replay.recover import recover_bag

    recovery = recover_bag(args.bag, args.out)
    print(f'wrote {args.out}: {recovery.messages} messages, {recovery.seconds:.3f} s, '
          f'recovered from {recovery.file} ({recovery.reason})')  # fmt: skip
    return 0


def _make_demo_bag(args: argparse.Namespace) -> int:
    """Write the synthetic factory-aisle scenario as a rosbag2."""
    from physical_ai_ros.sim.synthetic import ScenarioConfig, write_synthetic_bag

    config = ScenarioConfig(seconds=args.seconds, seed=args.seed)
    path = write_synthetic_bag(args.out, config, storage=args.storage)
    print(f'wrote {path} ({args.storage}, {args.seconds:g} s, seed {args.seed})')
    return 0
