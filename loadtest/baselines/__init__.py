"""Reference servers the fan-out benchmark measures livebuy against."""
