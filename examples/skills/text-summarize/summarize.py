"""Cut $TEXT to its first $MAX_WORDS words; write `summary` and `words` to $GITHUB_OUTPUT."""

import os

words = os.environ["TEXT"].split()
keep = max(int(os.environ.get("MAX_WORDS", "12")), 1)
summary = " ".join(words[:keep]) + (" ..." if len(words) > keep else "")
with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
    out.write(f"summary={summary}\nwords={len(words)}\n")
print(f"{len(words)} words, kept {min(keep, len(words))}")
