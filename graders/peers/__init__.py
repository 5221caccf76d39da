"""The graders' side of the wire: fake servers and clients that record every byte, and readers of what programs print."""
