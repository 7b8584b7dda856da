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
- each DAgger round after it: a model is trained on everything so far (``train bc``), then
  drives N new episodes of each scenario through the full pipeline and gate while the expert
  labels what it should have done, so the data covers the states the learner actually
  reaches.

``DS`` is then a dataset (``dataset.json``, ``episodes/``) labelled by the expert, with the
episode bags in ``DS/bags`` (``--keep-bags``; else deleted once exported) and each round's
model in ``DS/models``. The camera runs at
0.5 Hz in these episodes: the policies learned here read the grid and the robot's velocity,
which do not depend on it, and a 30 s episode takes ~3 s instead of ~30 s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
import shutil
from typing import Any

from physical_ai_ros.learn.dataset import export_dataset
from physical_ai_ros.learn.train import train_bc

#: Sensor rates of collection and evaluation episodes (the camera slowed, see the module).
FAST_CAMERA_HZ = 0.5


def fast_rates() -> Any:
    """The simulator's sensor rates with the camera at :data:`FAST_CAMERA_HZ`."""
    from dataclasses import replace

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


def collect(
    scenarios: str | Sequence[str], episodes: int, seed: int, dagger_rounds: int, out: Path, *,
    params: Path, contract: Path, seconds: float = 30.0, epochs: int = 60, keep_bags: bool = False,
    say: Callable[[str], None] = print,
) -> list[EpisodeSummary]:  # fmt: skip
    """Collect and label (see the module docstring); returns every episode's summary.

    Each round's bags are exported as they come (appended to the dataset), then deleted
    unless ``keep_bags``: a 30 s episode bag is ~250 MB (lidar at 10 Hz), its episode in the
    dataset a few MB.
    """
    from physical_ai_ros.replay.runner import ReplayOptions
    import physical_ai_ros.sim  # noqa: F401 (before mujoco: it picks the headless renderer)
    from physical_ai_ros.sim.episode import EXPERT_TOPIC, run_episode
    from physical_ai_ros.sim.expert import Expert
    from physical_ai_ros.sim.scene import make_scenario

    names = (scenarios,) if isinstance(scenarios, str) else tuple(scenarios)
    rates = fast_rates()
    (out / 'bags').mkdir(parents=True, exist_ok=True)
    (out / 'models').mkdir(parents=True, exist_ok=True)
    summaries: list[EpisodeSummary] = []
    model: Path | None = None
    if (out / 'dataset.json').exists():
        (out / 'dataset.json').unlink()  # a fresh collection, not an append to an old one
    for round_ in range(dagger_rounds + 1):
        fresh: list[Path] = []
        for k, scenario in ((k, name) for k in range(episodes) for name in names):
            episode_seed = seed + round_ * episodes + k
            expert = Expert(make_scenario(scenario, episode_seed))
            bag = out / 'bags' / f'round{round_}_{scenario}_seed{episode_seed}'
            shutil.rmtree(bag, ignore_errors=True)
            result = run_episode(
                scenario, episode_seed, bag, seconds=seconds,
                options=ReplayOptions(params=params, model=model), rates=rates,
                driver=expert.command if model is None else None, labeler=expert.command,
            )  # fmt: skip
            driver = 'expert' if model is None else model.name
            summaries.append(EpisodeSummary(round_, scenario, episode_seed, driver,
                                            result.success, result.collisions, bag))  # fmt: skip
            fresh.append(bag)
            say(
                f'round {round_} {scenario} seed {episode_seed} driven by {driver}: '
                f'{"success" if result.success else "FAIL"}, collisions {result.collisions}'
            )
        export_dataset(fresh, params, contract, out, append=True, force=True,
                       action_topic=EXPERT_TOPIC)  # fmt: skip
        if not keep_bags:
            for bag in fresh:
                shutil.rmtree(bag)
        if round_ < dagger_rounds:  # the next round's learner
            model = out / 'models' / f'round{round_}.onnx'
            report = train_bc(out, contract, model, epochs=epochs, seed=seed)
            say(f'round {round_}: trained {model.name} on {report.train_steps} steps')
    return summaries


__all__ = ['FAST_CAMERA_HZ', 'EpisodeSummary', 'collect', 'fast_rates']
