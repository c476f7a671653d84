"""Rules over matched vulnerabilities (`vuln.scan.VulnerablePackages`): an image's packages,
a host's installed packages, a source tree's lock files."""
