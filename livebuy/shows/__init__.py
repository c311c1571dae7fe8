"""Shows: run-sheet models and files, the program clock, the player and publishing cues."""
