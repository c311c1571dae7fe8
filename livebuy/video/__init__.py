"""The demo's live video: an ffmpeg test pattern with a burned-in program clock, served as HLS."""
