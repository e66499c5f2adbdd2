"""Stage 2: text -> search tokens (Kiwi morphemes, ASCII/code runs, aliases)."""
