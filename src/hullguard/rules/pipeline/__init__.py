"""Pipeline rules: what a CI file's jobs do (build, push, scan, sign, log in, start a daemon)."""
