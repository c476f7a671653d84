"""Signing and verifying images in cosign's formats: keys, signatures and where they are kept."""
