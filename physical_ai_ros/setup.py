"""Build and install the physical_ai_ros package (ament_python, also pip-installable)."""

from glob import glob
import os

from setuptools import find_packages, setup

package_name = 'physical_ai_ros'

setup(
    name=package_name,
    version='0.1.0',
    packages=find_packages(exclude=['test', 'test.*']),
    # The custom .msg files are read by the offline tools (rosbags type store). They live
    # in physical_ai_ros_interfaces; `physical_ai_ros/interfaces` links to them, so a
    # pip-installed package carries the very same files.
    package_data={
        package_name: ['py.typed', 'interfaces/*.msg', 'replay/*.html', 'policies/*.onnx']
    },
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        (os.path.join('share', package_name, 'launch'), glob('launch/*_launch.py')),
        (
            os.path.join('share', package_name, 'config'),
            glob('config/*.yaml') + glob('config/*.xml'),
        ),
        # IoT bridge mappings (not params files: `physical-ai iot check` reads them)
        (os.path.join('share', package_name, 'config', 'iot'), glob('config/iot/*.yaml')),
    ],
    python_requires='>=3.10',
    # Everything `physical-ai replay` needs with its defaults (the report included); the
    # floors are the oldest versions `make test` runs (requirements/oldest.txt).
    install_requires=[
        'setuptools',
        'numpy>=1.23.5',
        'pyyaml>=5.4',
        'opencv-python-headless>=4.5',
        'onnxruntime>=1.16',
        'rosbags>=0.10',
        'matplotlib>=3.5',
        'tqdm>=4.60',
        'mcap>=1.1',
    ],
    extras_require={
        # onnx builds models (tests, `physical-ai model` tooling); running one never needs it.
        'test': [
            'pytest>=7',
            'hypothesis>=6.50',
            'onnx>=1.14',
            'cryptography>=41',
            'xmlschema>=3',
        ],
        # edge-cloud inference: the Open Inference Protocol's clients (gRPC, REST) and stubs
        'remote': ['tritonclient[grpc,http]>=2.40', 'grpcio>=1.50'],
        # factory IoT: MQTT (paho-mqtt 2.x; Debian/Ubuntu ship 1.6), Sparkplug B payloads
        # (protobuf, which onnxruntime brings anyway), OPC UA (asyncua 2.x: its client
        # reconnects and re-creates subscriptions itself)
        'iot': ['paho-mqtt>=2.0', 'protobuf>=3.20', 'asyncua>=2.1'],
        # tests only: a second Open Inference Protocol server (Seldon's) the client is tried on
        'interop': ['mlserver>=1.5'],
        'sim': ['mujoco>=3.1'],
        # fleet regression suites on a Ray cluster (`physical-ai suite run --engine ray`);
        # the default engine (worker processes here) needs nothing more
        'fleet': ['ray>=2.30'],
        # learning policies: datasets in Apache Parquet (physical-ai dataset export), and
        # behaviour cloning with scikit-learn, exported with onnx (physical-ai train bc)
        'train': ['pyarrow>=12', 'scikit-learn>=1.3', 'onnx>=1.14'],
        # open3d (900 MB) is a benchmark baseline only; the package never imports it.
        'bench': ['open3d>=0.17'],
        'dev': ['ruff>=0.5', 'mypy>=1.8', 'types-PyYAML'],
        # the docs site (make docs; make test builds it in strict mode)
        'docs': ['mkdocs>=1.6', 'mkdocs-material>=9.5'],
    },
    zip_safe=True,
    maintainer='physical_ai_ros maintainers',
    maintainer_email='maintainers@physical-ai-ros.dev',
    description='Physical AI on ROS 2: sensor fusion, ONNX policies and a safety gate.',
    license='Apache-2.0',
    entry_points={
        'console_scripts': [
            'physical-ai = physical_ai_ros.cli:main',
            'perception_node = physical_ai_ros.nodes.perception_node:main',
            'policy_node = physical_ai_ros.nodes.policy_node:main',
            'safety_node = physical_ai_ros.nodes.safety_node:main',
            'physical_ai_node = physical_ai_ros.nodes.physical_ai_node:main',
            'iot_bridge_node = physical_ai_ros.nodes.iot_bridge_node:main',
        ],
    },
)
