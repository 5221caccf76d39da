"""Loopback ports and network namespaces: where the graders and the programs meet."""
