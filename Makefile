# physical_ai_ros — the README's two commands, plus bench and lint.
#   make demo   set up .venv and run the main job on built-in data
#   make test   set up .venv, lint, and run the test suite (also against numpy 1.x)
#   make bench  run the benchmarks in bench/ (figures beside same-run baselines)
#   make lint   ruff + mypy (strict on core/ and replay/)
#   make docs   build the docs site into site/ (MkDocs, strict: broken links fail)

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
OLD_VENV := .venv-oldest
PKG := physical_ai_ros
SRC := $(PKG)/$(PKG)
DEMO_DIR ?= demo_output
LEARN_DIR ?= learn_output
CONTRACT := $(PKG)/config/learn/bc_contract.yaml

.PHONY: demo demo-learn test bench lint format clean sysdeps setup test-oldest docs

# What the demo needs: the package and the simulator (about 600 MB).
$(VENV)/.demo-installed: $(PKG)/setup.py requirements/constraints.txt
	bash tools/install_sysdeps.sh
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -c requirements/constraints.txt \
		-e '$(PKG)[sim]'
	touch $@

# The development set: every extra (Ray, MLServer, scikit-learn, the docs tool ...: ~1.6 GB).
$(VENV)/.installed: $(VENV)/.demo-installed
	$(PY) -m pip install -q --disable-pip-version-check -c requirements/constraints.txt \
		-e '$(PKG)[test,sim,dev,remote,interop,iot,fleet,train,docs]'
	touch $@

$(OLD_VENV)/.installed: $(PKG)/setup.py requirements/oldest.txt
	$(PYTHON) -m venv $(OLD_VENV)
	$(OLD_VENV)/bin/python -m pip install -q --disable-pip-version-check -r requirements/oldest.txt
	$(OLD_VENV)/bin/python -m pip install -q --disable-pip-version-check --no-deps -e '$(PKG)'
	touch $@

setup: $(VENV)/.installed

# The main job: record the built-in MuJoCo scenario (the reference policy drives the robot
# in closed loop), replay it through perception, policy and safety gate, compare with the
# first replay's outputs, and write the report.
demo: $(VENV)/.demo-installed
	rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	$(VENV)/bin/physical-ai sim record --scenario aisle --seconds 20 --seed 0 \
		--params $(PKG)/config/mobile_base.yaml --out $(DEMO_DIR)/scenario
	$(VENV)/bin/physical-ai info $(DEMO_DIR)/scenario
	$(VENV)/bin/physical-ai replay $(DEMO_DIR)/scenario --params $(PKG)/config/mobile_base.yaml \
		--out $(DEMO_DIR)/baseline --golden $(DEMO_DIR)/golden --update-golden --quiet --no-report
	$(VENV)/bin/physical-ai replay $(DEMO_DIR)/scenario --params $(PKG)/config/mobile_base.yaml \
		--out $(DEMO_DIR)/replay --golden $(DEMO_DIR)/golden

# Optional: learn a policy in simulation. The privileged expert drives 10 aisle episodes and 30
# short ones from just before the crossing, two DAgger rounds more let the learner drive while
# the expert labels (episodes on every core), behaviour cloning fits 4 networks whose mean is
# one ONNX policy, and it is evaluated beside the reference policy on held-out seeds of the
# aisle and of the forklift scenario (not trained on).
demo-learn: $(VENV)/.installed
	rm -rf $(LEARN_DIR) && mkdir -p $(LEARN_DIR)
	$(VENV)/bin/physical-ai sim collect --scenario aisle --episodes 10 --crossing-starts 30 \
		--seed 1000 --dagger-rounds 2 --steering-noise 0.3 --mirror \
		--params $(PKG)/config/mobile_base.yaml --contract $(CONTRACT) --out $(LEARN_DIR)/dataset
	$(VENV)/bin/physical-ai train bc --dataset $(LEARN_DIR)/dataset --contract $(CONTRACT) \
		--mirror --ensemble 4 --epochs 45 --out $(LEARN_DIR)/bc.onnx
	$(VENV)/bin/physical-ai sim eval --model $(LEARN_DIR)/bc.onnx --compare-reference --fast-camera \
		--discard-bags --scenario aisle --episodes 10 --seed 5000 --params $(PKG)/config/mobile_base.yaml \
		--out-dir $(LEARN_DIR)/eval_aisle
	$(VENV)/bin/physical-ai sim eval --model $(LEARN_DIR)/bc.onnx --compare-reference --fast-camera \
		--discard-bags --scenario forklift --episodes 10 --seed 5000 --params $(PKG)/config/mobile_base.yaml \
		--out-dir $(LEARN_DIR)/eval_forklift

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check $(PKG) bench tools
	$(VENV)/bin/ruff format --check $(PKG) bench tools
	$(VENV)/bin/mypy --strict $(SRC)/core $(SRC)/replay
	$(VENV)/bin/mypy $(SRC)/cli $(SRC)/sim $(SRC)/policies $(SRC)/nodes $(SRC)/inference $(SRC)/iot $(SRC)/suite $(SRC)/learn

format: $(VENV)/.installed
	$(VENV)/bin/ruff format $(PKG) bench
	$(VENV)/bin/ruff check --fix $(PKG) bench

test-oldest: $(OLD_VENV)/.installed
	$(OLD_VENV)/bin/pytest -q -p no:cacheprovider $(PKG)/test/core

docs: $(VENV)/.installed
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

test: lint $(VENV)/.installed test-oldest docs
	$(VENV)/bin/pytest -q -p no:cacheprovider

# open3d (a baseline in bench/perception.py) is not part of the default install: 900 MB.
$(VENV)/.bench-installed: $(VENV)/.installed
	$(PY) -m pip install -q --disable-pip-version-check -c requirements/constraints.txt \
		-e '$(PKG)[bench]'
	touch $@

bench: $(VENV)/.bench-installed
	$(PY) bench/codecs.py
	$(PY) bench/policy.py
	$(PY) bench/perception.py
	$(PY) bench/replay.py
	$(PY) bench/sim.py
	$(PY) bench/remote.py
	$(PY) bench/iot.py
	$(PY) bench/suite.py
	$(PY) bench/learn.py
	$(PY) bench/live.py  # skips without a sourced ROS 2

clean:
	rm -rf $(VENV) $(OLD_VENV) $(DEMO_DIR) site .mypy_cache .ruff_cache .pytest_cache
