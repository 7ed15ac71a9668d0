"""Renderers of the demo site: one module per platform, plus the news site."""
