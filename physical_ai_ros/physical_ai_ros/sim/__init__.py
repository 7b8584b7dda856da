"""MuJoCo scenarios that record sensor bags and evaluate policies in closed loop."""
