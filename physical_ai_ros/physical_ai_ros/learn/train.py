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

"""Behaviour cloning: a small network from a dataset's observations to its actions, as ONNX.

``physical-ai train bc --dataset DS --contract C --out model.onnx`` fits a multi-layer
perceptron (scikit-learn's ``MLPRegressor``, Adam, ReLU; the ``train`` extra) from the
flattened input tensors to the recorded commands, one epoch at a time so that the loss and
the validation error of every epoch are kept for the report. Validation is the last episodes
(a fifth, at least one) when there are several, else the last fifth of the steps.

The commands that matter most can be the rarest: an expert slows down and waits for a
person crossing in a few steps of an episode driven mostly at full speed, and a network
fitted to the plain mean squared error averages them away (in the aisle every learned
collision was with the person). ``balance`` > 1 repeats training steps by how rare the
magnitude of their first command field is (four equal bins over its range, at most that
many times). Off by default: on one dataset it turned 4 of 10 held-out aisle episodes into
8 of 10, on another 5 into 6, and DAgger rounds trained with it reached 4 of 20.

``mirror`` also fits every training step's mirror image (:func:`mirrored`: the grid's rows
reversed, turn rates negated): a scene and its mirror image call for mirrored commands, so
the data doubles and the network is left no side to drift to. Validation stays on the
recorded steps.

``ensemble`` fits several networks from different seeds (initial weights and order of the
steps) and exports their mean as one network (:func:`stacked_layers`). Which network a
seed gives changed the held-out aisle result from 6 to 10 of 10 episodes on one dataset;
the mean of five is less at the mercy of one seed (see docs/learning.md), and costs one wider
MatMul per layer. ``jobs`` worker processes fit the networks side by side.

Library, chosen by measurement on this machine: scikit-learn 1.9 is a 9 MB wheel (with SciPy
~40 MB) and trains this size of network on CPU; PyTorch from PyPI is a 555 MB wheel that
pulls 28 CUDA packages more. The trained weights become an ONNX graph built with
``onnx.helper`` (as the reference policy is): Reshape and Concat of the contract's input
tensors, then MatMul/Add/Relu, the contract embedded under its metadata key, so the nodes and
replay load it unchanged. Training runs with BLAS on one thread: the same seed and dataset
give the same model bytes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import json
from pathlib import Path
from typing import Any
import warnings

import numpy as np

from physical_ai_ros.core.policy.contract import METADATA_KEY
from physical_ai_ros.learn.dataset import ContractSource, DatasetError, load_dataset


@dataclass
class TrainingReport:
    """What training did: losses and validation errors per epoch, per episode at the end."""

    epochs: int
    train_steps: int
    validation_steps: int
    loss: list[float] = field(default_factory=list)
    validation_mae: list[list[float]] = field(default_factory=list)  # per epoch, per axis
    baseline_mae: list[float] = field(default_factory=list)  # a constant command (the mean)
    validation_mae_by_episode: dict[str, list[float]] = field(default_factory=dict)
    axes: list[str] = field(default_factory=list)
    balanced_steps: int = 0  # training rows per epoch, rare commands repeated


def features(observations: dict[str, np.ndarray[Any, Any]], tensors: list[str]) -> Any:
    """The tensors of each step flattened and side by side, in the contract's order."""
    n = len(next(iter(observations.values()))) if observations else 0
    return np.concatenate([observations[t].reshape(n, -1) for t in tensors], axis=1)


def balanced(rows: np.ndarray[Any, Any], first: np.ndarray[Any, Any], most: int) -> Any:
    """``rows`` with each repeated by the rarity of ``|first|`` (see the module), in order."""
    magnitude = np.abs(first)
    low, high = float(magnitude.min()), float(magnitude.max())
    if most <= 1 or high <= low:
        return rows
    bins = np.minimum(((magnitude - low) / (high - low) * 4).astype(np.int64), 3)
    counts = np.bincount(bins, minlength=4)
    repeats = np.minimum(np.round(counts.max() / np.maximum(counts, 1)), most).astype(np.int64)
    return np.repeat(rows, repeats[bins])


#: Command and twist fields whose sign flips in a mirror image across the robot's x axis.
MIRROR_ODD = frozenset({'linear.y', 'angular.x', 'angular.z'})


def mirrored(
    contract: Any, observations: dict[str, np.ndarray[Any, Any]], actions: np.ndarray[Any, Any]
) -> tuple[dict[str, np.ndarray[Any, Any]], np.ndarray[Any, Any]]:
    """Every step mirrored across the robot's x axis: left becomes right.

    A grid's rows are reversed (the crop is centred on the robot, so row r and row
    rows - 1 - r lie at opposite y), a twist's lateral and turning fields and the action's
    change sign. A robot turning left in a scene is then also a robot turning right in its
    mirror image, and a network fitted on both has no side it prefers.

    Raises:
        DatasetError: an input a mirror image is not defined for here (an image, a vector
            source other than ``odom_twist``, or an odd field with an offset).
    """
    from physical_ai_ros.core.policy.contract import GridInput, VectorInput

    flipped: dict[str, np.ndarray[Any, Any]] = {}
    for spec in contract.inputs:
        values = observations[spec.tensor]
        if isinstance(spec, GridInput):
            flipped[spec.tensor] = np.ascontiguousarray(values[..., ::-1, :])
        elif isinstance(spec, VectorInput) and spec.source == 'odom_twist':
            sign = np.array([-1.0 if n in MIRROR_ODD else 1.0 for n in spec.names], np.float32)
            if any(o != 0.0 for n, o in zip(spec.names, spec.offset, strict=True)
                   if n in MIRROR_ODD):  # fmt: skip
                raise DatasetError(f'{spec.tensor}: an offset on a field that changes sign '
                                   'cannot be mirrored')  # fmt: skip
            flipped[spec.tensor] = values * sign.reshape((1,) * (values.ndim - 1) + (-1,))
        else:
            raise DatasetError(f'{spec.tensor}: no mirror image of a {spec.source!r} input '
                               '(--mirror covers grids and odom_twist)')  # fmt: skip
    sign = np.array([-1.0 if axis in MIRROR_ODD else 1.0 for axis in contract.axes])
    return flipped, actions * sign


def train_bc(
    dataset_path: Path, contract_path: Path, out: Path, *, epochs: int = 60,
    hidden: tuple[int, ...] = (64, 32), seed: int = 0, learning_rate: float = 1e-3,
    balance: int = 1, mirror: bool = False, ensemble: int = 1, jobs: int = 1,
) -> TrainingReport:  # fmt: skip
    """Train, export ``out`` (ONNX with the contract) and ``out``'s report; see the module.

    ``ensemble`` networks are fitted, seeded ``seed``, ``seed + 1``, ...; the model answers
    their mean (:func:`to_onnx`), and the report's loss and validation error are theirs.
    ``jobs`` processes fit them side by side; each network is the same whichever fits it.

    Raises:
        DatasetError: a dataset for another contract, too small to split, or a contract
            whose output is an action chunk (not trained here).
    """
    from sklearn.neural_network import MLPRegressor

    source = ContractSource.load(contract_path)
    contract = source.contract
    if contract.output.horizon > 1:
        raise DatasetError(f'{contract_path}: action chunks (horizon '
                           f'{contract.output.horizon}) are not trained by train bc')  # fmt: skip
    data = load_dataset(dataset_path, source)
    tensors = [spec.tensor for spec in contract.inputs]
    # float32 throughout: half the memory of float64 and ~2x faster to fit (measured)
    x = features(data.observations, tensors).astype(np.float32)
    y = data.actions.astype(np.float32)
    train, valid = _split(data.episode, len(y))
    if len(train) < 2 or len(valid) < 1:
        raise DatasetError(f'{dataset_path}: {len(y)} steps are too few to train and validate')
    fit = balanced(train, y[train, 0], balance)  # the rows each epoch goes through
    if mirror:  # the training rows' mirror images, after all rows (validation: none)
        rows = {tensor: values[train] for tensor, values in data.observations.items()}
        images, flipped_y = mirrored(contract, rows, y[train])
        first = len(y)
        x = np.concatenate([x, features(images, tensors).astype(np.float32)])
        y = np.concatenate([y, flipped_y])
        fit = np.concatenate([fit, first + np.searchsorted(train, fit)])  # train is sorted
    members = [
        MLPRegressor(hidden_layer_sizes=hidden, activation='relu', solver='adam',
                     learning_rate_init=learning_rate, batch_size=min(64, len(train)),
                     random_state=seed + k, shuffle=True)
        for k in range(ensemble)
    ]  # fmt: skip
    report = TrainingReport(epochs, len(train), len(valid), axes=list(contract.axes))
    report.balanced_steps = len(fit)
    baseline = np.abs(y[valid] - y[train].mean(axis=0)).mean(axis=0)
    report.baseline_mae = [float(v) for v in baseline]
    fitted = fit_members(members, (x[fit], y[fit], x[valid]), epochs, jobs)
    members = [model for model, _, _ in fitted]
    for epoch in range(epochs):
        report.loss.append(float(np.mean([losses[epoch] for _, losses, _ in fitted])))
        predicted = np.mean([predictions[epoch] for _, _, predictions in fitted], axis=0)
        error = np.abs(predicted - y[valid]).mean(axis=0)
        report.validation_mae.append([float(v) for v in error])
    for episode in sorted(set(data.episode[valid].tolist())):
        mask = data.episode[valid] == episode
        bag = Path(data.index['episodes'][episode]['bag']).name
        error = np.abs(predicted[mask] - y[valid][mask]).mean(axis=0)
        report.validation_mae_by_episode[bag] = [float(v) for v in error]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(to_onnx(members, contract, source.text).SerializeToString())
    _write_report(report, out.with_suffix('.report.json'))
    return report


def _fit_epoch(model: Any, x: Any, y: Any) -> None:
    """One epoch of ``model``; an interrupt (Ctrl-C, SIGTERM) stops training, not the epoch.

    scikit-learn catches a KeyboardInterrupt inside ``partial_fit``, warns "Training
    interrupted by user" and returns, so a loop of epochs would go on to the last one (seen:
    ``train bc`` ran on for minutes after SIGTERM). The interrupt is raised again here.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        model.partial_fit(x, y)
    for warning in caught:
        if 'interrupted by user' in str(warning.message):
            raise KeyboardInterrupt('training interrupted')
        warnings.warn_explicit(warning.message, warning.category, warning.filename,
                               warning.lineno)  # fmt: skip
    flush_subnormal(model)


#: What a member fits on: training features, training actions, validation features.
Rows = tuple[Any, Any, Any]
#: A fitted member, its loss per epoch and its validation predictions per epoch.
Fitted = tuple[Any, list[float], list[Any]]

_WORKER_ROWS: Rows | None = None  # a worker process's rows (see fit_members)


def fit_members(members: list[Any], rows: Rows, epochs: int, jobs: int) -> list[Fitted]:
    """Each member fitted for ``epochs``, here or in ``jobs`` worker processes.

    The workers (:func:`~physical_ai_ros.learn.parallel.ordered_map`) get the rows once
    each; a network is the same bytes whichever process fits it.
    """
    from physical_ai_ros.learn.parallel import ordered_map

    if jobs <= 1 or len(members) == 1:
        return [_fit_member(model, rows, epochs) for model in members]
    tasks = [(model, epochs) for model in members]
    return list(ordered_map(_fit_worker_member, tasks, jobs, initializer=_keep_rows,
                            initargs=(rows,)))  # fmt: skip


def _keep_rows(rows: Rows) -> None:
    global _WORKER_ROWS
    _WORKER_ROWS = rows


def _fit_worker_member(model: Any, epochs: int) -> Fitted:
    assert _WORKER_ROWS is not None, 'the pool initializer keeps the rows'
    return _fit_member(model, _WORKER_ROWS, epochs)


def _fit_member(model: Any, rows: Rows, epochs: int) -> Fitted:
    """``model`` fitted epoch by epoch, with its loss and validation predictions."""
    from threadpoolctl import threadpool_limits

    x, y, x_valid = rows
    losses, predictions = [], []
    with threadpool_limits(limits=1):  # one BLAS thread: the same sums, the same weights
        for _ in range(epochs):
            _fit_epoch(model, x, y)
            losses.append(float(model.loss_))
            predictions.append(model.predict(x_valid).reshape(len(x_valid), -1))
    return model, losses, predictions


def stacked_layers(members: list[Any]) -> tuple[list[Any], list[Any]]:
    """One network's weights and biases that answer the mean of ``members``' outputs.

    The members' hidden layers sit side by side (the first layer's weights concatenated,
    the others block diagonal: no member sees another's units) and the last layer sums
    each member's output divided by their number. ReLU acts on each unit alone, so the
    result is the members' mean, up to the order of float additions.
    """
    from scipy.linalg import block_diag

    count = len(members)
    layers = len(members[0].coefs_)
    weights = [np.hstack([m.coefs_[0] for m in members])]
    weights += [block_diag(*[m.coefs_[i] for m in members]) for i in range(1, layers)]
    biases = [np.concatenate([m.intercepts_[i] for m in members]) for i in range(layers)]
    if layers == 1:  # no hidden layer: the first layer is the last
        weights = [weights[0].reshape(len(weights[0]), count, -1).sum(axis=1)]
    else:
        weights[-1] = np.vstack([m.coefs_[-1] for m in members])
    weights[-1] = weights[-1] / count
    biases[-1] = np.mean([m.intercepts_[-1] for m in members], axis=0)
    return weights, biases


def flush_subnormal(model: Any) -> None:
    """Set to zero, in place, the weights and Adam moments that fell below the normal range.

    The weights of units that stop learning (a ReLU that is never active) and their Adam
    moments decay geometrically and, after tens of epochs, become subnormal numbers, which
    the CPU multiplies tens of times slower: measured, an epoch went from 0.6 s to 2.6 s
    after 10 epochs in float32 (``bench/learn.py``). Values this small (< 1.2e-38 in float32)
    change no output.
    """
    optimizer = getattr(model, '_optimizer', None)  # scikit-learn's Adam, when fitted
    arrays = [*model.coefs_, *model.intercepts_]
    arrays += [*getattr(optimizer, 'ms', ()), *getattr(optimizer, 'vs', ())]
    for values in arrays:
        values[np.abs(values) < np.finfo(values.dtype).tiny] = 0


def _split(episodes: np.ndarray[Any, Any], n: int) -> tuple[Any, Any]:
    """Validation: the last fifth of the episodes (at least one), or of the steps."""
    unique = sorted(set(episodes.tolist()))
    if len(unique) >= 2:
        held = unique[-max(1, len(unique) // 5) :]
        valid = np.flatnonzero(np.isin(episodes, held))
        train = np.flatnonzero(~np.isin(episodes, held))
        return train, valid
    cut = n - max(1, n // 5)
    return np.arange(cut), np.arange(cut, n)


def to_onnx(members: list[Any], contract: Any, contract_text: str) -> Any:
    """The fitted networks' mean as an ONNX model over the contract's inputs and output.

    One network (:func:`stacked_layers`): an ensemble costs one MatMul per layer, wider.
    """
    from onnx import helper, numpy_helper, TensorProto

    nodes, initializers, flat = [], [], []
    for spec in contract.inputs:
        shape_name = f'{spec.tensor}_flat_shape'
        initializers.append(numpy_helper.from_array(np.array([1, -1], np.int64), shape_name))
        nodes.append(
            helper.make_node('Reshape', [spec.tensor, shape_name], [f'{spec.tensor}_flat'])
        )
        flat.append(f'{spec.tensor}_flat')
    current = 'features'
    nodes.append(helper.make_node('Concat', flat, [current], axis=1))
    out = contract.output
    weights, biases = stacked_layers(members)
    # the runtime reads command = raw[index] * scale + offset: the last layer answers raw
    size = max(out.index) + 1
    last_w = np.zeros((weights[-1].shape[0], size))
    last_b = np.zeros(size)
    for j, k in enumerate(out.index):
        last_w[:, k] = weights[-1][:, j] / out.scale[j]
        last_b[k] = (biases[-1][j] - out.offset[j]) / out.scale[j]
    weights[-1], biases[-1] = last_w, last_b
    for layer, (w, b) in enumerate(zip(weights, biases, strict=True)):
        initializers += [numpy_helper.from_array(w.astype(np.float32), f'w{layer}'),
                         numpy_helper.from_array(b.astype(np.float32), f'b{layer}')]  # fmt: skip
        nodes.append(helper.make_node('MatMul', [current, f'w{layer}'], [f'mm{layer}']))
        last = layer == len(weights) - 1
        name = out.tensor if last else f'h{layer}'
        nodes.append(helper.make_node('Add', [f'mm{layer}', f'b{layer}'],
                                      [name if last else f'pre{layer}']))  # fmt: skip
        if not last:
            nodes.append(helper.make_node('Relu', [f'pre{layer}'], [name]))
        current = name
    graph = helper.make_graph(
        nodes, 'behaviour_cloning',
        [helper.make_tensor_value_info(s.tensor, TensorProto.FLOAT, list(s.shape))
         for s in contract.inputs],
        [helper.make_tensor_value_info(out.tensor, TensorProto.FLOAT, [1, size])],
        initializers,
    )  # fmt: skip
    onnx_model = helper.make_model(
        graph, producer_name='physical_ai_ros train bc',
        opset_imports=[helper.make_opsetid('', 13)], ir_version=7,
    )  # fmt: skip
    helper.set_model_props(onnx_model, {METADATA_KEY: contract_text})
    return onnx_model


def _write_report(report: TrainingReport, path: Path) -> None:
    """The report as JSON, and its loss and validation curves as a PNG beside it."""
    import matplotlib

    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    path.write_text(json.dumps(report.__dict__, indent=1, sort_keys=True))
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=True)
    top.plot(report.loss)
    top.set_ylabel('training loss (squared error / 2)')
    curves = np.asarray(report.validation_mae)
    for k, axis in enumerate(report.axes):
        bottom.plot(curves[:, k], label=f'{axis} (model)')
        bottom.axhline(report.baseline_mae[k], linestyle='--', linewidth=0.8,
                       label=f'{axis} (constant mean command)')  # fmt: skip
    bottom.set_xlabel('epoch')
    bottom.set_ylabel('validation mean abs error')
    bottom.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path.with_suffix('.png'), dpi=80)
    plt.close(fig)


__all__ = [
    'MIRROR_ODD',
    'TrainingReport',
    'features',
    'fit_members',
    'flush_subnormal',
    'mirrored',
    'stacked_layers',
    'to_onnx',
    'train_bc',
]
