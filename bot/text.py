"""Small text helpers shared by the engine and the front ends."""


def clip(text: str, limit: int) -> str:
    """At most limit characters, cut at a space when one is in the second half (no half-words)."""
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    space = cut.rfind(" ")
    return cut[:space] if space > limit // 2 else cut
