"""Pure logic of the stack: codecs, perception, policy and safety. Never imports ROS."""
