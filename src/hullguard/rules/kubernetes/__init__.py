"""Pod Security Standards controls over Kubernetes workloads."""
