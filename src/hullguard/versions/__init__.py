"""Version orderings of the ecosystems hullguard compares: Debian packages, kernels, releases."""
