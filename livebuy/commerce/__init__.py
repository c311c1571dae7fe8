"""Commerce: favorites, carts, flash deals, coupons, orders, payment and live stock push."""
