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

"""Expert demonstrations in simulation, with DAgger: the learner drives, the expert labels.

``physical-ai sim collect --scenario S [--scenario S2 ...] --episodes N --seed K
--dagger-rounds R --out DS``:

- round 0: the privileged expert (:mod:`physical_ai_ros.sim.expert`) drives N episodes of
  each scenario (seeds K, K+1, ...; each seed randomises placements, lighting, sensor noise
  and the movers' speeds), and labels every moment with its command (``/expert/cmd_vel``);
- ``--crossing-starts M``: M more episodes of each scenario in every round, short ones that
  start between the pallet and the first crossing (on the expert's lane) with the movers at
  a random point of their period. The moment that decides an episode, whether to cross now
  or wait, comes once in a 30 s episode from the start; these add it many times more for
  little simulated time;
- ``--steering-noise S``: in round 0 the expert drives with noise of S rad/s on its turn
  rate (:class:`SteeringNoise`), its clean command still the label, so that the data shows
  the way back to the lane from where a learner's small errors take it;
- each DAgger round after it: a model is trained on everything so far (``train bc``), then
  drives N new episodes of each scenario through the full pipeline and gate while the expert
  labels what it should have done, so the data covers the states the learner actually
  reaches (``--hidden``, ``--balance`` and ``--mirror`` go to the training between rounds).

``DS`` is then a dataset (``dataset.json``, ``episodes/``) labelled by the expert, with the
episode bags in ``DS/bags`` (``--keep-bags``; else deleted once exported) and each round's
model in ``DS/models``. The camera runs at
0.5 Hz in these episodes: the policies learned here read the grid and the robot's velocity,
which do not depend on it, and a 30 s episode takes ~3 s instead of ~30 s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
import math
from pathlib import Path
import shutil
from typing import Any, TYPE_CHECKING

import numpy as np

from physical_ai_ros.learn.dataset import export_dataset
from physical_ai_ros.learn.train import train_bc

if TYPE_CHECKING:
    from physical_ai_ros.sim.episode import Driver
    from physical_ai_ros.sim.scene import Scenario

#: How far past the crossing a crossing start's goal is [m]: what follows is plain driving.
CROSSING_GOAL = 1.0

#: Sensor rates of collection and evaluation episodes (the camera slowed, see the module).
FAST_CAMERA_HZ = 0.5


def fast_rates() -> Any:
    """The simulator's sensor rates with the camera at :data:`FAST_CAMERA_HZ`."""
    from physical_ai_ros.sim.sensors import SensorRates

    return replace(SensorRates(), camera=FAST_CAMERA_HZ)


@dataclass(frozen=True)
class EpisodeSummary:
    """One collected episode: who drove, and how it went."""

    round: int
    scenario: str
    seed: int
    driver: str
    success: bool
    collisions: int
    bag: Path
    crossing_start: bool = False


def collect(
    scenarios: str | Sequence[str], episodes: int, seed: int, dagger_rounds: int, out: Path, *,
    params: Path, contract: Path, seconds: float = 30.0, epochs: int = 60, keep_bags: bool = False,
    crossing_starts: int = 0, steering_noise: float = 0.0, balance: int = 1,
    mirror: bool = False, hidden: tuple[int, ...] = (64, 32), jobs: int = 1,
    say: Callable[[str], None] = print,
) -> list[EpisodeSummary]:  # fmt: skip
    """Collect and label (see the module docstring); returns every episode's summary.

    Each round's bags are exported as they come (appended to the dataset), then deleted
    unless ``keep_bags``: a 30 s episode bag is ~250 MB (lidar at 10 Hz), its episode in the
    dataset a few MB. ``jobs`` worker processes run a round's episodes, then its exports,
    side by side: every episode is fixed by its seed, so the dataset is the same bytes.
    Stopped (Ctrl-C, SIGTERM), the workers are terminated and the bags they were recording
    are left cut short: scratch, replaced by the next collection into ``out``.
    """
    from physical_ai_ros.learn.parallel import ordered_map
    import physical_ai_ros.sim  # noqa: F401 (before mujoco: it picks the headless renderer)
    from physical_ai_ros.sim.episode import EXPERT_TOPIC

    names = (scenarios,) if isinstance(scenarios, str) else tuple(scenarios)
    (out / 'bags').mkdir(parents=True, exist_ok=True)
    (out / 'models').mkdir(parents=True, exist_ok=True)
    summaries: list[EpisodeSummary] = []
    model: Path | None = None
    if (out / 'dataset.json').exists():
        (out / 'dataset.json').unlink()  # a fresh collection, not an append to an old one
    per_round = episodes + crossing_starts
    plan = [(k, name) for k in range(per_round) for name in names]
    for round_ in range(dagger_rounds + 1):
        tasks = [
            (round_, scenario, seed + round_ * per_round + k, k >= episodes, out / 'bags',
             params, model, seconds, steering_noise)
            for k, scenario in plan
        ]  # fmt: skip
        fresh: list[Path] = []
        for summary in ordered_map(collect_episode, tasks, jobs):
            summaries.append(summary)
            fresh.append(summary.bag)
            kind = '_crossing' if summary.crossing_start else ''
            say(
                f'round {round_} {summary.scenario}{kind} seed {summary.seed} driven by '
                f'{summary.driver}: {"success" if summary.success else "FAIL"}, '
                f'collisions {summary.collisions}'
            )
        export_dataset(fresh, params, contract, out, append=True, force=True,
                       action_topic=EXPERT_TOPIC, jobs=jobs)  # fmt: skip
        if not keep_bags:
            for bag in fresh:
                shutil.rmtree(bag)
        if round_ < dagger_rounds:  # the next round's learner
            model = out / 'models' / f'round{round_}.onnx'
            report = train_bc(out, contract, model, epochs=epochs, seed=seed, hidden=hidden,
                              balance=balance, mirror=mirror)  # fmt: skip
            say(f'round {round_}: trained {model.name} on {report.train_steps} steps')
    return summaries


def collect_episode(
    round_: int, scenario: str, seed: int, crossing: bool, bags: Path, params: Path,
    model: Path | None, seconds: float, steering_noise: float,
) -> EpisodeSummary:  # fmt: skip
    """One episode of a round, recorded to a bag in ``bags``, labelled by the expert.

    The expert drives when there is no ``model`` yet (with :class:`SteeringNoise` when
    ``steering_noise`` > 0), else ``model`` drives through the pipeline and gate;
    ``crossing``: a :func:`crossing_start` episode.
    """
    from physical_ai_ros.replay.runner import ReplayOptions
    import physical_ai_ros.sim  # noqa: F401 (before mujoco: it picks the headless renderer)
    from physical_ai_ros.sim.episode import run_episode
    from physical_ai_ros.sim.expert import Expert
    from physical_ai_ros.sim.scene import make_scenario

    layout = make_scenario(scenario, seed)
    if crossing:
        layout = crossing_start(layout, np.random.default_rng([seed, 1]))
    expert = Expert(layout)
    drive = (
        SteeringNoise(expert.command, np.random.default_rng([seed, 2]), sigma=steering_noise)
        if model is None and steering_noise > 0 else expert.command
    )  # fmt: skip
    bag = bags / f'round{round_}_{scenario}{"_crossing" if crossing else ""}_seed{seed}'
    shutil.rmtree(bag, ignore_errors=True)
    result = run_episode(
        scenario, seed, bag, seconds=seconds,
        options=ReplayOptions(params=params, model=model), rates=fast_rates(),
        driver=drive if model is None else None, labeler=expert.command, layout=layout,
    )  # fmt: skip
    return EpisodeSummary(round_, scenario, seed, 'expert' if model is None else model.name,
                          result.success, result.collisions, bag, crossing)  # fmt: skip


class SteeringNoise:
    """A driver whose turn rate is perturbed: an Ornstein-Uhlenbeck process added to it.

    The expert alone never leaves its lane, so a policy cloned from it has never seen how to
    get back; the expert driving with noisy steering, its clean command the label, shows how
    (DART, Laskey et al. 2017). Seeded: the same rng, the same episode.
    """

    def __init__(self, driver: Driver, rng: np.random.Generator, sigma: float = 0.3,
                 tau: float = 1.0) -> None:  # fmt: skip
        self.driver, self.rng, self.sigma, self.tau = driver, rng, sigma, tau
        self._noise = 0.0
        self._time: float | None = None

    def __call__(self, x: float, y: float, yaw: float, t: float) -> tuple[float, float]:
        """The driver's command, its turn rate perturbed."""
        v, w = self.driver(x, y, yaw, t)
        if self._time is not None and t > self._time:
            keep = math.exp(-(t - self._time) / self.tau)
            step = math.sqrt(1.0 - keep * keep) * self.sigma
            self._noise = keep * self._noise + step * float(self.rng.normal())
        self._time = t
        return v, w + self._noise


def crossing_start(scene: Scenario, rng: np.random.Generator) -> Scenario:
    """``scene`` started short of its first crossing, its movers at random points of their period.

    The robot starts between the pallet and the first mover's crossing, on the expert's lane
    (y and heading jittered), and its goal is :data:`CROSSING_GOAL` past the crossing; the
    scene is unchanged when it has no mover.
    """
    from physical_ai_ros.sim.expert import Expert, MOVER_MARGIN
    from physical_ai_ros.sim.scene import ROBOT_RADIUS

    if not scene.movers:
        return scene
    first = min(scene.movers, key=lambda m: m.start[0])
    entry = first.start[0] - first.half[0] - ROBOT_RADIUS - MOVER_MARGIN
    after_pallet = max(
        (o.centre[0] + o.half[0] + ROBOT_RADIUS + 0.3 for o in scene.obstacles
         if o.name == 'pallet'),
        default=scene.start[0],
    )  # fmt: skip
    x = float(rng.uniform(min(after_pallet, entry - 1.0), entry - 1.0))
    y = Expert(scene).lane(x) + float(rng.normal(0.0, 0.1))
    movers = tuple(
        replace(m, phase=float(rng.uniform(0.0, 2 * math.dist(m.start, m.end) / m.speed)))
        for m in scene.movers
    )  # fmt: skip
    leave = first.start[0] + first.half[0] + ROBOT_RADIUS + MOVER_MARGIN
    return replace(scene, start=(x, y, float(rng.normal(0.0, 0.08))), movers=movers,
                   goal_x=min(scene.goal_x, leave + CROSSING_GOAL))  # fmt: skip


__all__ = [
    'CROSSING_GOAL',
    'FAST_CAMERA_HZ',
    'EpisodeSummary',
    'SteeringNoise',
    'collect',
    'collect_episode',
    'crossing_start',
    'fast_rates',
]
