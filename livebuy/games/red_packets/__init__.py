"""Red-packet rain: a budget split into packets viewers grab, paid into their wallets."""
