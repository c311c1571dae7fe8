"""Shoppable replay: each run of a show recorded (events, state checkpoints, video) and replayed."""
