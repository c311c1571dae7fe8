"""Shows: run-sheet models and files, the program clock, the player and the show event stream."""
