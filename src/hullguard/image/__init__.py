"""Built images: their sources (archives, OCI layouts, a daemon, unpacked root filesystems), the
merged view of their layers, and the model the image rules judge."""
