"""One spider per platform plus ``news``; each module's name is the spider's name."""
