"""Offline tools over rosbag2 files, built on rosbags (no ROS installation needed)."""
