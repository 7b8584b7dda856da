"""The ``physical-ai`` command: offline tools for integrators, technicians and CI."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence
import sys

from physical_ai_ros import __version__
from physical_ai_ros.core.errors import PhysicalAiError

Handler = Callable[[argparse.Namespace], int]


def _cmd_version(args: argparse.Namespace) -> int:
    """Print the package version and the versions of the libraries it runs on."""
    import cv2
    import numpy
    import rosbags

    print(f'physical_ai_ros {__version__}')
    print(
        f'  python {sys.version.split()[0]}, numpy {numpy.__version__}, opencv {cv2.__version__}'
    )
    print(f'  rosbags {getattr(rosbags, "__version__", "?")}')
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

    demo_bag = commands.add_parser(
        'make-demo-bag',
        help='write the built-in synthetic scenario (lidar, camera, IoT, odometry) as a rosbag2',
    )
    demo_bag.add_argument('out', help='bag directory to create (must not exist)')
    demo_bag.add_argument('--seconds', type=float, default=8.0, help='length [s] (default 8)')
    demo_bag.add_argument('--seed', type=int, default=0, help='random seed (default 0)')
    demo_bag.add_argument(
        '--storage', choices=('mcap', 'sqlite3'), default='mcap', help='storage (default mcap)'
    )
    demo_bag.set_defaults(handler=_cmd_make_demo_bag)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``physical-ai``; returns the exit code (2 for a usage or input error)."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except PhysicalAiError as exc:
        print(f'physical-ai {args.command}: error: {exc}', file=sys.stderr)
        return 2


if __name__ == '__main__':
    sys.exit(main())
