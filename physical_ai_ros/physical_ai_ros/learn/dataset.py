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

"""Datasets for imitation: the observations the runtime would feed a model, and the actions.

``physical-ai dataset export BAG... --params P --contract C --out DS`` replays each bag with
the params file and, at every policy step, builds the contract's input tensors with the
runtime's own :class:`~physical_ai_ros.core.policy.observation.ObservationBuilder` from the
very :class:`~physical_ai_ros.core.policy.observation.PolicyInputs` the policy stage hands its
model (one code path for training and serving: no train/serve skew). Each step is paired
with the action to imitate: the first command the bag recorded at or after the step (within
``max_label_delay_s``), on the command topic the params name.

Layout (Apache Parquet, one file per episode, read by pandas, polars, DuckDB, Hugging Face
``datasets``; the schema page is docs/dataset.md)::

    DS/dataset.json                 format, version, the contract (and its sha256), tensors,
                                    action axes, episodes (bag, digest, steps, skipped)
    DS/episodes/episode_000000.parquet
        step_ns int64, grid_stamp_ns int64, action_ns int64, frame_index int32,
        episode_index int32, observation.<tensor> list<float32> (C-order, shape in
        dataset.json), action list<float64> (contract axes, command units)
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass
import hashlib
import json
from pathlib import Path
import shutil
from typing import Any

import numpy as np
import yaml

from physical_ai_ros.core.errors import PhysicalAiError
from physical_ai_ros.core.files import yaml_problem
from physical_ai_ros.core.policy.contract import METADATA_KEY, PolicyContract
from physical_ai_ros.core.policy.observation import ObservationBuilder, PolicyInputs

FORMAT, VERSION = 'physical_ai_ros.dataset', 1


class DatasetError(PhysicalAiError, ValueError):
    """A dataset that cannot be written or used: which file, what is wrong."""


@dataclass(frozen=True)
class ContractSource:
    """A contract as given: its canonical text (hashed) and the parsed contract."""

    text: str
    contract: PolicyContract

    @property
    def sha256(self) -> str:
        """sha256 of the canonical YAML: the dataset's and the model's must be equal."""
        return hashlib.sha256(self.text.encode()).hexdigest()

    @classmethod
    def load(cls, path: Path) -> ContractSource:
        """A contract YAML, or the contract an ONNX model carries.

        Raises:
            DatasetError: unreadable, or not a contract.
        """
        try:
            if path.suffix == '.onnx':
                import onnxruntime

                meta = (
                    onnxruntime.InferenceSession(str(path), providers=['CPUExecutionProvider'])
                    .get_modelmeta()
                    .custom_metadata_map
                )
                raw = meta.get(METADATA_KEY)
                if raw is None:
                    raise DatasetError(f'{path}: the model carries no contract ({METADATA_KEY})')
            else:
                raw = path.read_text(encoding='utf-8')
            data = yaml.safe_load(raw)
            contract = PolicyContract.from_dict(data)
        except OSError as exc:
            raise DatasetError(f'{path}: cannot read the contract ({exc})') from None
        except yaml.YAMLError as exc:
            line, problem = yaml_problem(exc)
            raise DatasetError(f'{path}: the contract, line {line}: {problem}') from None
        except PhysicalAiError as exc:
            if isinstance(exc, DatasetError):
                raise
            raise DatasetError(f'{path}: not a valid contract: {exc}') from None
        return cls(yaml.safe_dump(data, sort_keys=True), contract)


@dataclass
class Episode:
    """One bag's steps: stamps, observations by tensor, actions."""

    step_ns: list[int]
    grid_stamp_ns: list[int]
    action_ns: list[int]
    observations: dict[str, list[np.ndarray[Any, Any]]]
    actions: list[np.ndarray[Any, Any]]
    skipped: int = 0  # steps without a recorded command to imitate


class EpisodeRecorder:
    """The policy stage's tap: each step's observation, built by the runtime's builder."""

    def __init__(self, contract: PolicyContract) -> None:
        self.builder = ObservationBuilder(contract)
        self.tensors = [spec.tensor for spec in contract.inputs]
        self.steps: list[tuple[int, int, dict[str, np.ndarray[Any, Any]]]] = []
        self.failed = 0

    def __call__(self, now_ns: int, inputs: PolicyInputs) -> None:
        """Record the observation of the step at ``now_ns`` (copies: buffers are reused)."""
        try:
            feeds = self.builder.build(inputs)
        except PhysicalAiError:
            self.failed += 1  # the runtime would not run the model on it either
            return
        assert inputs.grid is not None
        copies = {name: np.array(feeds[name], copy=True) for name in self.tensors}
        self.steps.append((now_ns, inputs.grid.stamp_ns, copies))


def label(
    steps: list[tuple[int, int, dict[str, np.ndarray[Any, Any]]]],
    commands: list[tuple[int, list[float]]],
    max_delay_ns: int,
) -> Episode:
    """Pair each step with the first command at or after it, within ``max_delay_ns``."""
    times = [t for t, _ in commands]
    episode = Episode([], [], [], {name: [] for name in (steps[0][2] if steps else {})}, [])
    for now_ns, grid_ns, feeds in steps:
        k = bisect_left(times, now_ns)
        if k == len(times) or times[k] - now_ns > max_delay_ns:
            episode.skipped += 1
            continue
        episode.step_ns.append(now_ns)
        episode.grid_stamp_ns.append(grid_ns)
        episode.action_ns.append(times[k])
        episode.actions.append(np.asarray(commands[k][1], dtype=np.float64))
        for name, value in feeds.items():
            episode.observations[name].append(value)
    return episode


def recorded_commands(
    bag: Path, topic: str, axes: tuple[str, ...]
) -> list[tuple[int, list[float]]]:
    """The commands a bag recorded on ``topic`` as (log time, per-axis values)."""
    from rosbags.highlevel import AnyReader

    from physical_ai_ros.replay.golden import command_values

    found = []
    with AnyReader([bag]) as reader:
        connections = [c for c in reader.connections if c.topic == topic]
        if not connections:  # (rosbags reads every topic when given none)
            return []
        for connection, stamp, raw in reader.messages(connections):
            values = command_values(reader.deserialize(raw, connection.msgtype), axes)
            found.append((stamp, values[: len(axes)]))
    return found


def export_dataset(
    bags: list[Path], params: Path, contract_file: Path, out: Path, *,
    max_label_delay_s: float = 0.2, force: bool = False, action_topic: str = '',
    append: bool = False, jobs: int = 1,
) -> dict[str, Any]:  # fmt: skip
    """Replay ``bags`` and write the dataset (see the module docstring); returns its index.

    ``action_topic`` labels the steps from another topic than the params' command topic
    (``/expert/cmd_vel``: what an expert said, whoever drove). ``append`` keeps the episodes
    an earlier export to ``out`` wrote (same contract and params) and adds these bags after
    them, so their bags need not be kept. ``jobs`` worker processes export bags side by
    side (:mod:`~physical_ai_ros.learn.parallel`): the same files for any number.

    Raises:
        DatasetError: ``out`` exists (without ``force``), a bag records no commands on the
            command topic, or the contract cannot be read.
    """
    from physical_ai_ros.learn.parallel import ordered_map
    from physical_ai_ros.suite.cache import file_digest

    source = ContractSource.load(contract_file)
    contract = source.contract
    previous: list[dict[str, Any]] = []
    if append and (out / 'dataset.json').is_file():
        earlier = json.loads((out / 'dataset.json').read_text(encoding='utf-8'))
        if (earlier.get('contract_sha256'), earlier.get('params_sha256')) != (
            source.sha256,
            file_digest(params),
        ):
            raise DatasetError(f'{out}: its episodes were exported with another contract or '
                               'params file; export into a new folder')  # fmt: skip
        previous = list(earlier['episodes'])
    elif out.exists() and not force:
        raise DatasetError(f'{out}: exists; choose another --out or --force')
    created = not out.exists()
    (out / 'episodes').mkdir(parents=True, exist_ok=True)
    tasks = [(bag, index, params, contract_file, out, action_topic, max_label_delay_s)
             for index, bag in enumerate(bags, start=len(previous))]  # fmt: skip
    try:
        episodes = previous + list(ordered_map(export_episode, tasks, jobs))
    except BaseException:
        # a refusal leaves what was there before: nothing, or the earlier episodes
        if created:
            shutil.rmtree(out, ignore_errors=True)
        else:
            for task in tasks:
                (out / 'episodes' / f'episode_{task[1]:06d}.parquet').unlink(missing_ok=True)
        raise
    index_data = {
        'format': FORMAT, 'version': VERSION, 'contract': yaml.safe_load(source.text),
        'contract_sha256': source.sha256,
        'tensors': {spec.tensor: {'shape': list(spec.shape), 'dtype': 'float32'}
                    for spec in contract.inputs},
        'action': {'axes': list(contract.axes), 'dtype': 'float64'},
        'params_sha256': file_digest(params), 'max_label_delay_s': max_label_delay_s,
        'episodes': episodes,
    }  # fmt: skip
    (out / 'dataset.json').write_text(json.dumps(index_data, indent=1, sort_keys=True))
    return index_data


def export_episode(
    bag: Path, index: int, params: Path, contract_file: Path, out: Path, action_topic: str,
    max_label_delay_s: float,
) -> dict[str, Any]:  # fmt: skip
    """Replay ``bag``, write ``out``/episodes/episode_``index``.parquet; its index entry.

    Raises:
        DatasetError: the bag records no commands on the topic to imitate.
    """
    import tempfile

    import pyarrow as pa
    import pyarrow.parquet as pq

    from physical_ai_ros.core.stages import COMMAND_TOPICS
    from physical_ai_ros.replay.runner import ReplayOptions, ReplayRunner
    from physical_ai_ros.suite.cache import bag_digest

    contract = ContractSource.load(contract_file).contract
    options = ReplayOptions(params=params)
    runner = ReplayRunner(options)
    output_type = str(runner.values['safety_node']['output_type'])
    topic = action_topic or options.topic(COMMAND_TOPICS[output_type])
    commands = recorded_commands(bag, topic, contract.axes)
    if not commands:
        raise DatasetError(f'{bag}: no commands recorded on {topic} to imitate')
    recorder = EpisodeRecorder(contract)
    runner.policy.tap = recorder
    with tempfile.TemporaryDirectory(prefix='physical-ai-export-') as scratch:
        runner.run(bag, Path(scratch))
    episode = label(recorder.steps, commands, int(max_label_delay_s * 1e9))
    columns: dict[str, Any] = {
        'step_ns': pa.array(episode.step_ns, pa.int64()),
        'grid_stamp_ns': pa.array(episode.grid_stamp_ns, pa.int64()),
        'action_ns': pa.array(episode.action_ns, pa.int64()),
        'frame_index': pa.array(range(len(episode.step_ns)), pa.int32()),
        'episode_index': pa.array([index] * len(episode.step_ns), pa.int32()),
    }
    for name, values in episode.observations.items():
        columns[f'observation.{name}'] = _list_column(values, np.float32)
    columns['action'] = _list_column(episode.actions, np.float64)
    name = f'episode_{index:06d}.parquet'
    pq.write_table(pa.table(columns), out / 'episodes' / name)
    return {
        'file': f'episodes/{name}', 'bag': str(bag), 'bag_sha256': bag_digest(bag),
        'steps': len(episode.step_ns), 'skipped_unlabelled': episode.skipped,
        'skipped_unbuildable': recorder.failed, 'command_topic': topic,
    }  # fmt: skip


def _list_column(values: list[np.ndarray[Any, Any]], dtype: Any) -> Any:
    import pyarrow as pa

    width = int(values[0].size) if values else 0
    flat = np.concatenate([v.astype(dtype).reshape(-1) for v in values]) if values else (
        np.zeros(0, dtype))  # fmt: skip
    return pa.FixedSizeListArray.from_arrays(pa.array(flat), width) if width else pa.array(
        [[] for _ in values], pa.list_(pa.from_numpy_dtype(np.dtype(dtype))))  # fmt: skip


@dataclass
class Dataset:
    """A loaded dataset: observations by tensor (N, *shape), actions (N, axes), episodes."""

    observations: dict[str, np.ndarray[Any, Any]]
    actions: np.ndarray[Any, Any]
    episode: np.ndarray[Any, Any]
    step_ns: np.ndarray[Any, Any]
    index: dict[str, Any]


def _finite(values: np.ndarray[Any, Any], file: Path, column: str) -> np.ndarray[Any, Any]:
    """``values`` (rows first), or the first row holding a NaN or an infinity refused."""
    rows = values.reshape(len(values), -1)
    bad = np.flatnonzero(~np.isfinite(rows).all(axis=1))
    if len(bad):
        row = rows[bad[0]]
        value = row[~np.isfinite(row)][0]
        raise DatasetError(
            f'{file}: row {bad[0]} of {column} holds {value} ({len(bad)} row(s) not finite); '
            'training needs finite numbers: export it again'
        )
    return values


def load_dataset(path: Path, contract: ContractSource | None = None) -> Dataset:
    """Read a dataset, checked against its index (and ``contract`` when given).

    Raises:
        DatasetError: not a dataset, another contract, a missing or corrupt episode file, a
            column whose shape is not the index's, or a row with a NaN or an infinity.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        index = json.loads((path / 'dataset.json').read_text(encoding='utf-8'))
    except (OSError, ValueError) as exc:
        raise DatasetError(f'{path}: not a dataset (dataset.json: {exc})') from None
    if index.get('format') != FORMAT or index.get('version') != VERSION:
        raise DatasetError(f'{path}: format {index.get("format")!r} version '
                           f'{index.get("version")!r}; expected {FORMAT!r} {VERSION}')  # fmt: skip
    if contract is not None and index.get('contract_sha256') != contract.sha256:
        raise DatasetError(
            f'{path}: built for contract {index.get("contract", {}).get("name")!r} '
            f'(sha256 {str(index.get("contract_sha256"))[:12]}), not '
            f'{contract.contract.name!r} ({contract.sha256[:12]}); export it again'
        )
    tensors = index['tensors']
    observations: dict[str, list[np.ndarray[Any, Any]]] = {name: [] for name in tensors}
    actions, episodes, steps = [], [], []
    axes = len(index['action']['axes'])
    for episode in index['episodes']:
        file = path / episode['file']
        try:
            table = pq.read_table(file)
        except (OSError, pa.ArrowException) as exc:
            raise DatasetError(f'{file}: cannot be read ({exc})') from None
        rows = table.num_rows
        if rows != episode['steps']:
            raise DatasetError(f'{file}: {rows} rows, the index says {episode["steps"]}')
        for name, spec in tensors.items():
            column = f'observation.{name}'
            if column not in table.column_names:
                raise DatasetError(f'{file}: no column {column!r}')
            flat = _flat(table.column(column), np.float32)
            shape = (rows, *spec['shape'])
            if flat.size != int(np.prod(shape)):
                raise DatasetError(f'{file}: {column} holds {flat.size} values, not {shape}')
            observations[name].append(_finite(flat.reshape(shape), file, column))
        flat = _flat(table.column('action'), np.float64)
        if flat.size != rows * axes:
            raise DatasetError(f'{file}: action holds {flat.size} values, not ({rows}, {axes})')
        actions.append(_finite(flat.reshape(rows, axes), file, 'action'))
        episodes.append(table.column('episode_index').to_numpy())
        steps.append(table.column('step_ns').to_numpy())
    return Dataset(
        {name: np.concatenate(v) if v else np.zeros((0, *tensors[name]['shape']), np.float32)
         for name, v in observations.items()},
        np.concatenate(actions) if actions else np.zeros((0, axes)),
        np.concatenate(episodes) if episodes else np.zeros(0, np.int32),
        np.concatenate(steps) if steps else np.zeros(0, np.int64),
        index,
    )  # fmt: skip


def _flat(column: Any, dtype: Any) -> np.ndarray[Any, Any]:
    """A (fixed-size) list column's values, flat."""
    chunks = [chunk.flatten().to_numpy(zero_copy_only=False) for chunk in column.chunks]
    return np.concatenate(chunks).astype(dtype, copy=False) if chunks else np.zeros(0, dtype)


__all__ = [
    'FORMAT', 'VERSION', 'ContractSource', 'Dataset', 'DatasetError', 'EpisodeRecorder',
    'export_dataset', 'export_episode', 'label', 'load_dataset', 'recorded_commands',
]  # fmt: skip
