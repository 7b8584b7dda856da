"""physical_ai_ros: physical AI on ROS 2 — sensor fusion, ONNX policies and a safety gate."""

__version__ = '0.1.0'

__all__ = ['__version__']
