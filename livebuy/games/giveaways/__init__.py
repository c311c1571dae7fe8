"""Giveaways: viewers enter during a window; winners are drawn verifiably at close."""
