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

"""Fleet regression suites: 6 bags x 2 params files on worker processes and on Ray.

Every engine gives byte-identical outputs, equal to single replays; a rerun is served from the
cache, and a changed bag, params file or model is replayed again; a crashing case and a
timed-out case are errors while the others go on; a worker killed mid-case is retried once;
Ctrl-C leaves the finished cases usable; the JUnit file is valid against a schema.
"""

from __future__ import annotations

from collections.abc import Iterator
import contextlib
import os
from pathlib import Path
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

import pytest
from rosbags.highlevel import AnyReader
import yaml

from physical_ai_ros.policies.reference import SHIPPED
from physical_ai_ros.replay.runner import replay, ReplayOptions
from physical_ai_ros.sim.sensors import CameraSpec, LidarSpec
from physical_ai_ros.sim.synthetic import ScenarioConfig, write_synthetic_bag
from physical_ai_ros.suite.case import ERROR, NEW, PASSED, REGRESSED
from physical_ai_ros.suite.run import diff_runs, format_diff, run_suite, update_golden
from physical_ai_ros.suite.spec import load_suite, SuiteError
from physical_ai_ros.suite.verdict import exit_code

REPO = Path(__file__).resolve().parents[3]
MOBILE_BASE = REPO / 'physical_ai_ros' / 'config' / 'mobile_base.yaml'
SCHEMA = Path(__file__).with_name('junit.xsd')


def small(seconds: float, seed: int) -> ScenarioConfig:
    """The synthetic aisle with a 16x256 lidar and a 160x90 camera: quick to write and replay."""
    return ScenarioConfig(seconds=seconds, seed=seed, lidar=LidarSpec(16, 256, max_range=100.0),
                          camera=CameraSpec(160, 90, 60.0))  # fmt: skip


def messages(bag: Path) -> list[tuple[str, int, bytes]]:
    """Every message of a bag as (topic, log time, CDR bytes)."""
    with AnyReader([bag]) as reader:
        return [(c.topic, t, bytes(raw)) for c, t, raw in reader.messages()]


@pytest.fixture(scope='module')
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 one-second bags, 2 params files, and a 30 s bag for cases still running when hit.

    The params files: the shipped one, and one with a lower speed limit. The 30 s bag is
    ``long/robot7``.
    """
    root = tmp_path_factory.mktemp('fleet')
    for seed in range(6):
        write_synthetic_bag(root / 'bags' / f'robot{seed}', small(1.0, seed))
    write_synthetic_bag(root / 'long' / 'robot7', small(30.0, 7))
    (root / 'params').mkdir()
    shutil.copy(MOBILE_BASE, root / 'params' / 'base.yaml')
    slow = yaml.safe_load(MOBILE_BASE.read_text())
    slow['safety_node']['ros__parameters']['max_velocity'] = [0.5, 1.0]
    (root / 'params' / 'slow.yaml').write_text(yaml.safe_dump(slow))
    (root / 'suite.yaml').write_text(
        'golden: goldens/\n'
        'groups:\n'
        '  - name: aisle\n'
        "    bags: ['bags/robot[0-2]']\n"
        '    params: [params/base.yaml, params/slow.yaml]\n'
        '  - name: dock\n'
        "    bags: ['bags/robot[3-5]']\n"
        '    params: [params/base.yaml, params/slow.yaml]\n'
    )
    return root


@pytest.fixture
def ray_cluster() -> Iterator[None]:
    ray = pytest.importorskip('ray', reason='ray is not installed')
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def test_local_and_ray_give_the_bytes_of_single_replays(
    fleet: Path, tmp_path: Path, ray_cluster: None
) -> None:
    suite = load_suite(fleet / 'suite.yaml')
    assert len(suite.cases) == 12
    local = run_suite(suite, tmp_path / 'local', engine='local', workers=2, say=lambda _: None)
    assert {r.verdict for r in local.results} == {NEW}  # no golden bags yet
    by_case = {r.case_id: Path(r.folder) / 'output' for r in local.results}
    ray_suite = load_suite(fleet / 'suite.yaml')
    ray_run = run_suite(ray_suite, tmp_path / 'ray', engine='ray', workers=2, no_cache=True,
                        say=lambda _: None)  # fmt: skip
    assert [r.case_id for r in ray_run.results] == list(by_case)
    for result in ray_run.results:
        assert result.verdict == NEW and not result.cached, (result.error, result.log_tail)
        got = messages(Path(result.folder) / 'output')
        assert got == messages(by_case[result.case_id])  # the Ray run replaced the cached one
    for case in suite.cases[:3] + suite.cases[-3:]:  # the same as physical-ai replay
        single = replay(case.bag, tmp_path / 'single' / case.case_id, ReplayOptions(
            params=case.params))  # fmt: skip
        output = next(Path(r.folder) for r in ray_run.results if r.case_id == case.case_id)
        assert messages(single.out_bag) == messages(output / 'output')
    # accepted as golden, the next run passes every case, from the cache, judged again
    assert len(update_golden(suite, tmp_path / 'ray')) == 12
    again = run_suite(suite, tmp_path / 'again', engine='local', say=lambda _: None)
    assert {(r.verdict, r.cached) for r in again.results} == {(PASSED, True)}
    assert exit_code(again.results) == 0


@pytest.mark.parametrize('engine', ['sequential', 'local', 'ray'])
def test_cases_with_one_key_are_replayed_once_and_none_is_lost_or_misfiled(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """The same params and model under two names each: 4 cases, one replay, 20 runs."""
    if engine == 'ray':
        request.getfixturevalue('ray_cluster')
    write_synthetic_bag(tmp_path / 'bags' / 'robot0', small(0.3, 0))
    (tmp_path / 'params').mkdir()
    for name in ('base', 'same'):
        shutil.copy(MOBILE_BASE, tmp_path / 'params' / f'{name}.yaml')
    for name in ('a', 'b'):
        shutil.copy(SHIPPED, tmp_path / f'{name}.onnx')
    (tmp_path / 'suite.yaml').write_text(
        'golden: goldens/\nmodels: {a: a.onnx, b: b.onnx}\ngroups:\n'
        "  - {name: g, bags: ['bags/robot0'], params: [params/base.yaml, params/same.yaml]}\n"
    )
    suite = load_suite(tmp_path / 'suite.yaml')
    ids = [c.case_id for c in suite.cases]
    assert len(ids) == 4
    for k in range(20):
        run = run_suite(suite, tmp_path / 'run', engine=engine, workers=2, no_cache=k % 2 == 0,
                        say=lambda _: None)  # fmt: skip
        assert [r.case_id for r in run.results] == ids
        assert [r.verdict for r in run.results] == [NEW] * 4, [r.error for r in run.results]
        owners = [r for r in run.results if not r.same_as]
        assert len(owners) == 1 and owners[0].cached == (k % 2 == 1)
        assert {r.same_as for r in run.results} == {'', owners[0].case_id}
        assert len({r.folder for r in run.results}) == 1
        assert Path(run.results[0].folder, 'output', 'metadata.yaml').is_file()
        assert len(list((tmp_path / 'run' / 'logs').glob('*.log'))) == (k % 2 == 0)
    assert exit_code(run.results) == 1 and exit_code(run.results, allow_new=True) == 0
    update_golden(suite, tmp_path / 'run')
    shutil.rmtree(suite.golden / ids[2])  # a deleted golden bag fails the run
    again = run_suite(suite, tmp_path / 'again', engine=engine, say=lambda _: None)
    assert [r.verdict for r in again.results] == [PASSED, PASSED, NEW, PASSED]
    assert exit_code(again.results) == 1
    assert not list(suite.cache.glob('*/.*.work-*')) and not list(suite.cache.glob('*/.*.old-*'))


def test_a_change_to_the_package_code_misses_the_cache(tmp_path: Path) -> None:
    import physical_ai_ros
    from physical_ai_ros.suite.cache import code_digest, Keys

    package = tmp_path / 'physical_ai_ros'
    shutil.copytree(Path(physical_ai_ros.__file__).parent, package,
                    ignore=shutil.ignore_patterns('__pycache__'))  # fmt: skip
    write_synthetic_bag(tmp_path / 'bags' / 'robot0', small(0.3, 0))
    (tmp_path / 'suite.yaml').write_text(
        "golden: goldens/\ngroups:\n  - {name: g, bags: ['bags/robot0'], params: [p.yaml]}\n"
    )
    shutil.copy(MOBILE_BASE, tmp_path / 'p.yaml')
    (case,) = load_suite(tmp_path / 'suite.yaml').cases
    before = code_digest(package)
    assert before == code_digest(package)  # stable while nothing changes
    module = package / 'core' / 'perception' / 'grid.py'
    module.write_text(module.read_text() + '\n# a change to the pipeline\n')
    after = code_digest(package)
    assert after != before
    assert Keys(None, code=before).case(case) != Keys(None, code=after).case(case)


def test_the_cache_misses_exactly_what_changed(fleet: Path, tmp_path: Path) -> None:
    work = tmp_path / 'fleet'
    shutil.copytree(fleet, work, ignore=shutil.ignore_patterns('goldens'))
    shutil.copy(SHIPPED, work / 'model.onnx')
    text = (work / 'suite.yaml').read_text()
    (work / 'suite.yaml').write_text(
        text.replace('golden: goldens/\n', 'golden: goldens/\nmodels: {m: model.onnx}\n')
    )
    lines: list[str] = []
    first = run_suite(load_suite(work / 'suite.yaml'), tmp_path / 'r1', say=lines.append)
    assert not any(r.cached for r in first.results)
    assert lines[-1].startswith('[suite] 12/12 done, 0 running, 0 cached, 0 failed')

    def replayed() -> set[str]:
        rerun = run_suite(load_suite(work / 'suite.yaml'), tmp_path / 'rn', say=lambda _: None)
        return {r.case_id for r in rerun.results if not r.cached}

    assert replayed() == set()  # nothing changed: all 12 from the cache
    _rewrite_bag(work / 'bags' / 'robot1')  # re-recorded: other messages
    assert replayed() == {'aisle/robot1/base/m', 'aisle/robot1/slow/m'}
    slow = yaml.safe_load((work / 'params' / 'slow.yaml').read_text())
    slow['safety_node']['ros__parameters']['max_velocity'] = [0.4, 1.0]
    (work / 'params' / 'slow.yaml').write_text(yaml.safe_dump(slow))
    assert replayed() == {f'{g}/robot{k}/slow/m' for g, ks in (('aisle', '012'), ('dock', '345'))
                          for k in ks}  # fmt: skip
    _touch_model(work / 'model.onnx')  # the same network, other bytes: another model
    assert len(replayed()) == 12


def _rewrite_bag(bag: Path) -> None:
    shutil.rmtree(bag)
    write_synthetic_bag(bag, small(1.0, 99))


def _touch_model(path: Path) -> None:
    onnx = pytest.importorskip('onnx', reason='onnx is not installed')
    model = onnx.load(str(path))
    model.doc_string = 'retrained'
    onnx.save(model, str(path))


def test_crashing_and_timed_out_cases_are_errors_the_rest_goes_on(
    fleet: Path, tmp_path: Path
) -> None:
    work = tmp_path / 'fleet'
    shutil.copytree(fleet / 'bags', work / 'bags')
    shutil.copytree(fleet / 'params', work / 'params')
    broken = work / 'bags' / 'robot9'
    shutil.copytree(work / 'bags' / 'robot0', broken)
    for part in broken.glob('*.mcap'):
        part.write_bytes(b'\x89MCAP0\r\n' + os.urandom(4096))  # a disk that lied
    shutil.copytree(fleet / 'long' / 'robot7', work / 'bags' / 'robot7')
    # slow by construction, not by the machine's speed: a 30 s bag into a grid of 2000 x
    # 2000 cells takes minutes (its first second alone took 14 s), the good case ~1-3 s
    heavy = yaml.safe_load(MOBILE_BASE.read_text())
    heavy['perception_node']['ros__parameters']['grid'].update(
        {'width': 2000, 'height': 2000, 'resolution': 0.01})  # fmt: skip
    (work / 'params' / 'heavy.yaml').write_text(yaml.safe_dump(heavy))
    (work / 'suite.yaml').write_text(
        'golden: goldens/\ngroups:\n'
        "  - {name: g, bags: ['bags/robot0', 'bags/robot9'], params: [params/base.yaml]}\n"
        "  - {name: h, bags: ['bags/robot7'], params: [params/heavy.yaml]}\n"
    )
    run = run_suite(load_suite(work / 'suite.yaml'), tmp_path / 'run', workers=2,
                    case_timeout_s=10.0, say=lambda _: None)  # fmt: skip
    verdicts = {r.case_id.split('/')[1]: r for r in run.results}
    assert verdicts['robot0'].verdict == NEW, verdicts['robot0'].error  # the good one finished
    crashed, slow = verdicts['robot9'], verdicts['robot7']
    assert crashed.verdict == ERROR and 'not a readable rosbag2' in crashed.error
    assert 'File "' in crashed.log_tail  # the traceback's end, from the case's own log
    assert slow.verdict == ERROR and slow.error == 'timed out after 10 s (killed)'
    assert exit_code(run.results) == 2
    xmlschema = pytest.importorskip('xmlschema', reason='xmlschema is not installed')
    schema = xmlschema.XMLSchema(str(SCHEMA))
    schema.validate(str(tmp_path / 'run' / 'junit.xml'))
    junit = (tmp_path / 'run' / 'junit.xml').read_text()
    # robot0 has no golden bag: a failure, not a silent pass (it would be skipped with allow_new)
    assert junit.count('<error ') == 2 and junit.count('<failure ') == 1
    assert not list(load_suite(work / 'suite.yaml').cache.glob('*/.*.work-*'))  # no scratch left
    assert not schema.is_valid(junit.replace('name="g/robot9/base/params-model"',
                                             'name="g/robot0/base/params-model"'))  # fmt: skip


@pytest.mark.parametrize('engine', ['local', 'ray'])
def test_a_worker_killed_mid_case_is_retried_once(
    engine: str, fleet: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if engine == 'ray':
        request.getfixturevalue('ray_cluster')
    work = tmp_path / 'fleet'
    shutil.copytree(fleet / 'params', work / 'params')
    shutil.copytree(fleet / 'long' / 'robot7', work / 'bags' / 'long')
    (work / 'suite.yaml').write_text(
        "golden: goldens/\ngroups:\n  - {name: g, bags: ['bags/long'],"
        ' params: [params/base.yaml]}\n'
    )
    suite = load_suite(work / 'suite.yaml')
    killed: list[int] = []

    def kill_first_attempt() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            for pid_file in suite.cache.glob('*/.*.work-*/pid'):
                try:
                    pid = int(pid_file.read_text())
                except (OSError, ValueError):
                    continue
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                return
            time.sleep(0.01)

    killer = threading.Thread(target=kill_first_attempt)
    killer.start()
    run = run_suite(suite, tmp_path / 'run', engine=engine, workers=1, say=lambda _: None)
    killer.join()
    (result,) = run.results
    assert killed, 'the case finished before it could be killed'
    assert result.verdict == NEW and result.attempts == 2, (result.error, result.log_tail)


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.mark.parametrize('stop', [signal.SIGINT, signal.SIGTERM])
def test_a_signal_leaves_the_finished_cases_usable(
    stop: signal.Signals, fleet: Path, tmp_path: Path
) -> None:
    work = tmp_path / 'fleet'
    shutil.copytree(fleet / 'bags', work / 'bags')
    shutil.copytree(fleet / 'params', work / 'params')
    shutil.copytree(fleet / 'long' / 'robot7', work / 'bags' / 'robot7')
    # robot7 slow by construction (a 2000 x 2000 grid: minutes), still running at the signal
    heavy = yaml.safe_load(MOBILE_BASE.read_text())
    heavy['perception_node']['ros__parameters']['grid'].update(
        {'width': 2000, 'height': 2000, 'resolution': 0.01})  # fmt: skip
    (work / 'params' / 'heavy.yaml').write_text(yaml.safe_dump(heavy))
    (work / 'suite.yaml').write_text(
        "golden: goldens/\ngroups:\n  - {name: g, bags: ['bags/robot0'],"
        ' params: [params/base.yaml]}\n'
        "  - {name: h, bags: ['bags/robot7'], params: [params/heavy.yaml]}\n"
    )
    command = [sys.executable, '-m', 'physical_ai_ros.cli', 'suite', 'run', 'suite.yaml',
               '--workers', '1', '--out', 'run']  # fmt: skip
    # a run started in the background (nohup ... &) inherits SIGINT ignored, and Python then
    # keeps ignoring it: the signal under test must reach the CLI whatever started pytest
    proc = subprocess.Popen(command, cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, preexec_fn=_default_sigint)  # fmt: skip
    assert proc.stdout is not None and proc.stderr is not None
    for line in proc.stdout:  # robot0 done; robot7 (30 s of bag) is running
        if line.startswith('[suite] 1/2 done'):
            break
    time.sleep(0.5)
    proc.send_signal(stop)
    rest, errors = proc.communicate(timeout=60)
    assert proc.returncode == 128 + stop, rest + errors
    assert f'stopped by {stop.name}' in errors and 'stopped by' not in rest  # notice on stderr
    summary = yaml.safe_load((work / 'run' / 'summary.json').read_text())
    assert [c['verdict'] for c in summary['cases']] == ['new', 'cancelled']
    assert summary['interrupted'] is True
    assert Path(summary['cases'][0]['folder']).is_absolute()  # usable from any folder
    suite = load_suite(work / 'suite.yaml')
    assert not list(suite.cache.glob('*/.*.work-*'))  # the killed case left no scratch
    again = run_suite(suite, tmp_path / 'again', engine='sequential', case_timeout_s=5.0,
                      say=lambda _: None)  # fmt: skip
    assert [r.cached for r in again.results] == [True, False]  # robot0's result was kept
    assert again.results[1].error == 'timed out after 5 s (killed)'  # also sequential


def test_diff_compares_two_models_case_by_case(fleet: Path, tmp_path: Path) -> None:
    work = tmp_path / 'fleet'
    shutil.copytree(fleet / 'bags', work / 'bags')
    shutil.copytree(fleet / 'params', work / 'params')
    shutil.copy(SHIPPED, work / 'a.onnx')
    shutil.copy(SHIPPED, work / 'b.onnx')
    _touch_model(work / 'b.onnx')
    for name in ('a', 'b'):
        (work / f'{name}.yaml').write_text(
            f'golden: goldens/\nmodels: {{model_{name}: {name}.onnx}}\ngroups:\n'
            "  - {name: g, bags: ['bags/robot[01]'], params: [params/slow.yaml]}\n"
        )
    run_suite(load_suite(work / 'a.yaml'), tmp_path / 'A', say=lambda _: None)
    run_suite(load_suite(work / 'b.yaml'), tmp_path / 'B', say=lambda _: None)
    diffs = diff_runs(tmp_path / 'A', tmp_path / 'B')
    assert [d.case for d in diffs] == ['g/robot0/slow', 'g/robot1/slow']  # paired, less model
    for d in diffs:  # the same network: the same behaviour, the same commands
        assert d.stops[0] == d.stops[1] and d.jerk_rms[0] == d.jerk_rms[1]
        assert len(d.command_diff) == 2 and all(x == 0.0 for _, x in d.command_diff)
        assert d.jerk_rms[0] > 0.0  # jerk from the commands' own times, never a constant 0
        # the nearest obstacle perception saw, without a simulator: one bag, one clearance
        assert d.min_clearance_m[0] is not None and 0.0 < d.min_clearance_m[0] < 5.0
        assert d.min_clearance_m[0] == d.min_clearance_m[1]
    text = format_diff(diffs, 'A', 'B')
    assert 'total: stops' in text and 'g/robot0/slow' in text and 'A = A, B = B' in text


def test_command_difference_holds_b_at_a_s_stamps(tmp_path: Path) -> None:
    from physical_ai_ros.suite.case import CaseResult, write_commands
    from physical_ai_ros.suite.run import command_difference

    (tmp_path / 'a').mkdir()
    (tmp_path / 'b').mkdir()
    write_commands([(0, [0.0, 0.0], 'NONE'), (10, [0.5, 0.1], 'NONE'), (20, [0.5, 0.1], 'NONE')],
                   tmp_path / 'a' / 'commands.json')  # fmt: skip
    write_commands([(0, [0.0, 0.0], 'NONE'), (15, [0.1, 0.1], 'NONE')],
                   tmp_path / 'b' / 'commands.json')  # fmt: skip
    a = CaseResult('c', 'g', 'k', PASSED, folder=str(tmp_path / 'a'))
    b = CaseResult('c', 'g', 'k', PASSED, folder=str(tmp_path / 'b'))
    # at 0: same; at 10: B still holds 0.0 (|0.5|, |0.1|); at 20: B holds 0.1 (0.4, 0)
    linear, angular = command_difference(a, b)
    assert linear == pytest.approx((0.3, 0.5)) and angular == pytest.approx((0.1 / 3, 0.1))
    errored = CaseResult('c', 'g', 'k', ERROR, folder=str(tmp_path / 'b'), error='boom')
    assert command_difference(a, errored) == ()


def test_jerk_counts_the_command_in_effect_when_stamps_repeat() -> None:
    from physical_ai_ros.suite.case import behaviour

    # the gate answers a new command and ticks in the same instant: two commands, one stamp
    commands = [(k * 20_000_000, [0.1 * (k % 2)], 'NONE') for k in range(10)]
    repeated = [c for c in commands for _ in (0, 1)]
    jerk = behaviour(commands)[1]
    assert jerk > 0.0 and behaviour(repeated)[1] == pytest.approx(jerk)


@pytest.mark.parametrize(
    ('text', 'error'),
    [
        ('groups: []\n', r'suite\.yaml:1: golden=None: a path'),
        ('golden: g\ngroups: []\n', r'suite\.yaml:2: groups=\[\]: a list of groups'),
        ("golden: g\ngroups:\n  - {name: a, bags: ['nowhere/*'], params: [p.yaml]}\n",
         r"suite\.yaml:3: groups\[0\]\.bags: 'nowhere/\*' matches no bag folder"),
        ('golden: g\nmodels: {m: missing.onnx}\ngroups: [{name: a}]\n',
         r"suite\.yaml:2: models\.m='missing\.onnx': no such file"),
        ('golden: g\nengine: ray\ngroups: []\n', r'suite\.yaml:2: engine: unknown key'),
    ],
)  # fmt: skip
def test_a_wrong_suite_file_names_file_line_and_key(tmp_path: Path, text: str, error: str) -> None:
    path = tmp_path / 'suite.yaml'
    path.write_text(text)
    with pytest.raises(SuiteError, match=error):
        load_suite(path)


def one_group(fleet: Path, tmp_path: Path, bags: str) -> Path:
    """A copy of the fleet's bags and params, and a suite of ``bags`` x base.yaml in it."""
    work = tmp_path / 'fleet'
    shutil.copytree(fleet / 'bags', work / 'bags')
    shutil.copytree(fleet / 'params', work / 'params')
    (work / 'suite.yaml').write_text(
        f"golden: goldens/\ngroups:\n  - {{name: g, bags: ['{bags}'],"
        ' params: [params/base.yaml]}\n'
    )
    return work


def test_regressions_exit_1_with_the_first_divergence(fleet: Path, tmp_path: Path) -> None:
    work = one_group(fleet, tmp_path, 'bags/robot0')
    suite = load_suite(work / 'suite.yaml')
    run_suite(suite, tmp_path / 'r1', say=lambda _: None)
    update_golden(suite, tmp_path / 'r1')
    base = yaml.safe_load((work / 'params' / 'base.yaml').read_text())
    base['safety_node']['ros__parameters']['max_velocity'] = [0.3, 1.0]
    (work / 'params' / 'base.yaml').write_text(yaml.safe_dump(base))
    run = run_suite(load_suite(work / 'suite.yaml'), tmp_path / 'r2', say=lambda _: None)
    (result,) = run.results
    assert result.verdict == REGRESSED and exit_code(run.results) == 1
    assert result.first_divergence is not None and 't=' in result.first_divergence
    index = (tmp_path / 'r2' / 'index.html').read_text()
    assert 'regressed' in index and 'report.html' in index
    assert (Path(result.folder) / 'report.html').is_file()


def test_a_report_is_built_for_a_case_that_did_not_pass_or_for_all(
    fleet: Path, tmp_path: Path
) -> None:
    work = one_group(fleet, tmp_path, 'bags/robot0')
    suite = load_suite(work / 'suite.yaml')
    first = run_suite(suite, tmp_path / 'r1', allow_new=True, say=lambda _: None)
    assert (Path(first.results[0].folder) / 'report.html').is_file()  # new: not passed
    update_golden(suite, tmp_path / 'r1')
    passed = run_suite(suite, tmp_path / 'r2', no_cache=True, say=lambda _: None).results[0]
    assert passed.verdict == PASSED and not (Path(passed.folder) / 'report.html').exists()
    index = (tmp_path / 'r2' / 'index.html').read_text()
    assert 'report.html' not in index  # no link to a report that is not there
    # --reports all: the cached case lacks its report, so it is replayed to build one
    every = run_suite(suite, tmp_path / 'r3', all_reports=True, say=lambda _: None).results[0]
    assert every.verdict == PASSED and not every.cached
    assert (Path(every.folder) / 'report.html').is_file()
    again = run_suite(suite, tmp_path / 'r4', all_reports=True, say=lambda _: None).results[0]
    assert again.cached


def test_the_readme_ray_command_joins_a_ray_start_head_cluster(
    fleet: Path, tmp_path: Path
) -> None:
    """``ray start --head`` (token authentication on, as Ray >= 2.5x starts it), relative paths."""
    pytest.importorskip('ray', reason='ray is not installed')
    ray_cli = Path(sys.executable).with_name('ray')
    work = one_group(fleet, tmp_path, 'bags/robot[01]')
    env = {**os.environ, 'HOME': str(tmp_path / 'home')}  # the token goes there, not to ~
    env.pop('RAY_AUTH_MODE', None)
    env.pop('RAY_ADDRESS', None)
    port = _free_port()
    scratch = tempfile.mkdtemp(prefix='ray-')  # short: Ray's socket paths must fit 107 bytes
    # --block: the cluster lives as long as this process group, which the test ends itself;
    # `ray stop` would kill every Ray on the machine, another job's or a user's included
    start = [str(ray_cli), 'start', '--head', '--block', '--node-ip-address', '127.0.0.1',
             '--port', str(port), '--num-cpus', '2', '--include-dashboard=false',
             '--disable-usage-stats', '--temp-dir', scratch]  # fmt: skip
    head = subprocess.Popen(start, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            start_new_session=True)  # fmt: skip
    try:
        _wait_for_port(port, head)
        command = [sys.executable, '-m', 'physical_ai_ros.cli', 'suite', 'run', 'suite.yaml',
                   '--engine', 'ray', '--address', f'127.0.0.1:{port}', '--allow-new']  # fmt: skip
        done = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True,
                              timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stdout + done.stderr
        summary = yaml.safe_load((work / 'suite_run' / 'summary.json').read_text())
        assert [c['verdict'] for c in summary['cases']] == ['new', 'new']
    finally:
        _end_group(head)
        shutil.rmtree(scratch, ignore_errors=True)


def _wait_for_port(port: int, head: subprocess.Popen[bytes], timeout_s: float = 120.0) -> None:
    """Until the head's GCS accepts connections (or the head died, or time ran out)."""
    import socket

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert head.poll() is None, head.stderr.read().decode() if head.stderr else 'ray died'
        with socket.socket() as probe:
            if probe.connect_ex(('127.0.0.1', port)) == 0:
                time.sleep(1.0)  # the GCS listens before the raylet has joined it
                return
        time.sleep(0.2)
    raise AssertionError(f'ray start --head did not listen on {port} in {timeout_s:g} s')


def _end_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group (the head and what it started), then SIGKILL if needed."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(('127.0.0.1', 0))
        return int(probe.getsockname()[1])


def test_a_cut_short_bag_is_reported_and_fails_with_strict_bags(
    fleet: Path, tmp_path: Path
) -> None:
    work = one_group(fleet, tmp_path, 'bags/robot[01]')
    shutil.rmtree(work / 'bags' / 'robot1')
    write_synthetic_bag(work / 'bags' / 'robot1', small(3.0, 1))  # a few chunks long
    mcap = next((work / 'bags' / 'robot1').glob('*.mcap'))
    data = mcap.read_bytes()
    mcap.write_bytes(data[: int(len(data) * 0.8)])  # as a hard kill leaves it
    (work / 'bags' / 'robot1' / 'metadata.yaml').unlink()
    suite = load_suite(work / 'suite.yaml')
    run = run_suite(suite, tmp_path / 'run', allow_new=True, say=lambda _: None)
    whole, cut = run.results
    assert whole.damaged == '' and whole.verdict == NEW
    assert 'cut short' in cut.damaged and 'recovered' in cut.damaged and cut.verdict == NEW
    assert exit_code(run.results, allow_new=True) == 0
    strict = run_suite(suite, tmp_path / 'strict', allow_new=True, strict_bags=True,
                       say=lambda _: None)  # fmt: skip
    assert [r.verdict for r in strict.results] == [NEW, ERROR]  # from the cache, judged anew
    assert strict.results[1].error.startswith('damaged bag (--strict-bags): ')
    assert exit_code(strict.results, allow_new=True) == 2
