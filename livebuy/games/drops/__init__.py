"""Fair (lottery) drops: a flash deal whose units are drawn among the taps of an entry window."""
