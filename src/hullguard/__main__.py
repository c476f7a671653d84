from hullguard.cli import entry

entry()
