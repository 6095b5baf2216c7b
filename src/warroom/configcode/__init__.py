"""Config as code: users, schedules, escalation policies and services from one YAML file."""
