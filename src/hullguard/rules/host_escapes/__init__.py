"""Pillar 5 rules on the host's versions: kernel, runc, containerd and engine container escapes."""
