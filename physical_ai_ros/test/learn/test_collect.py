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

"""The privileged expert and DAgger collection in the MuJoCo scenarios.

The expert reaches the goal without touching anything in the aisle (the person crossing) and
in the forklift scenario; a DAgger round records the learner's episodes labelled by the
expert, and the dataset holds both rounds of both scenarios.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

pyarrow_module = pytest.importorskip(
    'pyarrow', reason='pyarrow (the train extra) is not installed'
)
sklearn_module = pytest.importorskip(
    'sklearn', reason='scikit-learn (the train extra) is not installed'
)
import physical_ai_ros.sim  # noqa: E402, F401, I100 (first: mujoco's headless renderer)

mujoco_module = pytest.importorskip('mujoco', reason='the simulator needs mujoco')

from physical_ai_ros.learn.collect import (  # noqa: E402, I100
    collect,
    CROSSING_GOAL,
    crossing_start,
    fast_rates,
    SteeringNoise,
)  # fmt: skip
from physical_ai_ros.learn.dataset import ContractSource, load_dataset  # noqa: E402
from physical_ai_ros.replay.runner import ReplayOptions  # noqa: E402
from physical_ai_ros.sim.episode import run_episode  # noqa: E402
from physical_ai_ros.sim.expert import (  # noqa: E402
    Expert,
    MAX_SPEED,
    MOVER_MARGIN,
    WAIT_SHORT,
)  # fmt: skip
from physical_ai_ros.sim.scene import make_scenario, ROBOT_RADIUS  # noqa: E402

CONFIG = Path(__file__).resolve().parents[2] / 'config'
PARAMS, CONTRACT = CONFIG / 'mobile_base.yaml', CONFIG / 'learn' / 'bc_contract.yaml'


@pytest.mark.parametrize(('scenario', 'seed'), [('aisle', 11), ('aisle', 12), ('forklift', 13)])
def test_the_expert_reaches_the_goal_without_touching_anything(
    scenario: str, seed: int, tmp_path: Path
) -> None:
    expert = Expert(make_scenario(scenario, seed))
    episode = run_episode(scenario, seed, tmp_path / 'bag', seconds=40.0,
                          options=ReplayOptions(params=PARAMS), rates=fast_rates(),
                          driver=expert.command)  # fmt: skip
    assert episode.success and episode.collisions == 0, episode
    assert episode.min_clearance_m > 0.1


def test_the_expert_waits_short_of_the_crossing_until_the_person_is_clear() -> None:
    scenario = make_scenario('aisle', 11)
    expert = Expert(scenario)
    person = scenario.movers[0]
    lane = expert.lane(10.0)
    assert abs(lane) == 1.0  # on the pallet's free side by then
    reach = person.half[1] + ROBOT_RADIUS + MOVER_MARGIN
    entry = person.start[0] - person.half[0] - ROBOT_RADIUS - MOVER_MARGIN
    length = 2 * (person.start[0] - entry)  # of the crossing, along the aisle
    x = entry - WAIT_SHORT  # the waiting point, facing along the lane
    waited = went = 0
    for step in range(400):  # 20 s: two of the person's periods
        t = step * 0.05
        v, _ = expert.command(x, lane, 0.0, t)
        # at full speed from here the robot is in the crossing between these times
        inside = [t + (WAIT_SHORT + d) / MAX_SPEED for d in np.linspace(0, length, 100)]
        meets = any(abs(person.position(s)[1] - lane) < reach for s in inside)
        if meets:
            assert v == pytest.approx(0.0, abs=1e-9), (t, v)
            waited += 1
        else:
            assert v == MAX_SPEED, (t, v)
            went += 1
    assert waited > 40 and went > 40  # both happen within two periods


def test_a_robot_that_crept_past_the_waiting_point_stops_short_of_the_persons_path() -> None:
    # a learner that brakes late is labelled 'stop' until it would touch the path, then 'go'
    scenario = make_scenario('aisle', 11)
    expert = Expert(scenario)
    person = scenario.movers[0]
    lane = expert.lane(10.0)
    path_edge = person.start[0] - person.half[0] - ROBOT_RADIUS  # the footprint touches it
    crept = path_edge - MOVER_MARGIN / 2
    stops = []
    for step in range(400):
        t = step * 0.05
        stops.append(expert.command(crept, lane, 0.0, t)[0] == 0.0)
        # in the path already: clearing it is the way out
        assert expert.command(path_edge + 0.01, lane, 0.0, t)[0] == MAX_SPEED
    assert 40 < sum(stops) < 360  # it stops while the person comes, and goes when clear


@pytest.mark.parametrize('scenario', ['aisle', 'forklift'])
def test_a_crossing_start_puts_the_robot_short_of_the_crossing_and_the_expert_still_succeeds(
    scenario: str, tmp_path: Path
) -> None:
    for seed in range(6):
        scene = make_scenario(scenario, seed)
        near = crossing_start(scene, np.random.default_rng([seed, 1]))
        (mover,) = near.movers
        entry = mover.start[0] - mover.half[0] - ROBOT_RADIUS - MOVER_MARGIN
        (pallet,) = (o for o in near.obstacles if o.name == 'pallet')
        x, y, _ = near.start
        assert pallet.centre[0] < x <= entry - 1.0
        assert abs(y - Expert(scene).lane(x)) < 0.5  # on the expert's lane, give or take
        period = 2 * math.dist(mover.start, mover.end) / mover.speed
        assert 0.0 <= mover.phase < period
        assert near.obstacles == scene.obstacles and mover.speed == scene.movers[0].speed
        assert near.goal_x == pytest.approx(2 * mover.start[0] - entry + CROSSING_GOAL)
    expert = Expert(near)
    episode = run_episode(scenario, seed, tmp_path / 'bag', seconds=20.0,
                          options=ReplayOptions(params=PARAMS), rates=fast_rates(),
                          driver=expert.command, layout=near)  # fmt: skip
    assert episode.success, episode
    assert episode.time_to_goal_s is not None and episode.time_to_goal_s < 15.0


def test_steering_noise_perturbs_only_the_turn_rate_by_about_sigma_and_is_seeded() -> None:
    def steady(x: float, y: float, yaw: float, t: float) -> tuple[float, float]:
        return 0.5, 0.1

    def drive(seed: int) -> np.ndarray:
        noisy = SteeringNoise(steady, np.random.default_rng(seed), sigma=0.3, tau=1.0)
        commands = []
        for k in range(20_000):  # 400 s at 50 Hz
            commands.append(noisy(0.0, 0.0, 0.0, k * 0.02))
            if k == 10:
                assert noisy(0.0, 0.0, 0.0, k * 0.02) == commands[-1]  # same time, same noise
        return np.asarray(commands)

    commands = drive(7)
    assert np.all(commands[:, 0] == 0.5)  # the speed is the driver's
    noise = commands[:, 1] - 0.1
    assert 0.2 < noise.std() < 0.4 and abs(noise.mean()) < 0.1
    assert np.corrcoef(noise[:-1], noise[1:])[0, 1] > 0.9  # smooth: tau 1 s >> 20 ms steps
    np.testing.assert_array_equal(drive(7), commands)
    assert not np.array_equal(drive(8), commands)


def test_a_dagger_round_adds_the_learners_states_labelled_by_the_expert(tmp_path: Path) -> None:
    lines: list[str] = []
    summaries = collect(['aisle', 'forklift'], 1, 40, 1, tmp_path / 'ds', params=PARAMS,
                        contract=CONTRACT, seconds=6.0, epochs=10, crossing_starts=1,
                        steering_noise=0.3, mirror=True, say=lines.append)  # fmt: skip
    assert [(s.round, s.scenario, s.driver, s.bag.name) for s in summaries] == [
        (0, 'aisle', 'expert', 'round0_aisle_seed40'),
        (0, 'forklift', 'expert', 'round0_forklift_seed40'),
        (0, 'aisle', 'expert', 'round0_aisle_crossing_seed41'),
        (0, 'forklift', 'expert', 'round0_forklift_crossing_seed41'),
        (1, 'aisle', 'round0.onnx', 'round1_aisle_seed42'),
        (1, 'forklift', 'round0.onnx', 'round1_forklift_seed42'),
        (1, 'aisle', 'round0.onnx', 'round1_aisle_crossing_seed43'),
        (1, 'forklift', 'round0.onnx', 'round1_forklift_crossing_seed43'),
    ]  # fmt: skip
    assert (tmp_path / 'ds' / 'models' / 'round0.onnx').is_file()
    data = load_dataset(tmp_path / 'ds', ContractSource.load(CONTRACT))
    assert sorted(set(data.episode.tolist())) == list(range(8))  # both rounds, every episode
    assert data.index['episodes'][4]['command_topic'] == '/expert/cmd_vel'
    assert data.observations['grid'].shape[1:] == (1, 3, 20, 20)  # now, 0.5 s and 1 s ago
    assert set(data.observations) == {'grid'}
    assert any('trained round0.onnx' in line for line in lines)
    # two worker processes run each round's episodes and exports: the same dataset
    again: list[str] = []
    collect(['aisle', 'forklift'], 1, 40, 1, tmp_path / 'ds2', params=PARAMS, contract=CONTRACT,
            seconds=6.0, epochs=10, crossing_starts=1, steering_noise=0.3, mirror=True,
            say=again.append, jobs=2)  # fmt: skip
    assert again == lines
    files = sorted(p.relative_to(tmp_path / 'ds') for p in (tmp_path / 'ds').rglob('*.*')
                   if p.suffix in ('.parquet', '.onnx'))  # fmt: skip
    assert len(files) == 9  # 8 episodes, 1 model
    for name in files:
        assert (tmp_path / 'ds2' / name).read_bytes() == (tmp_path / 'ds' / name).read_bytes()
