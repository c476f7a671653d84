"""Runtime rules written once against ContainerSpec: compose, Kubernetes, `docker run`, CI, live."""
