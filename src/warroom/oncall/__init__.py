"""On-call schedules: layers of rotations, restrictions, overrides and who is on call."""
