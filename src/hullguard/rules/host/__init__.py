"""Rules on a whole machine (`hostaudit.HostAudit`): its daemon, its files and its settings."""
