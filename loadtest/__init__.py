"""Load tests of the push path: Locust users and scenarios, and the fan-out benchmark."""
