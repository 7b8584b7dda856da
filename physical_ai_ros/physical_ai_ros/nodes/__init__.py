"""rclpy nodes: thin glue between ROS topics and core."""
