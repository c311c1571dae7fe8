"""The rewards wallet: store credit per session in lots that expire, with a ledger of every move."""
