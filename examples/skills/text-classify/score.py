"""Score $TEXT with the lexicon $LEXICON; write `label` and `score` to $GITHUB_OUTPUT.

Exits 2 when the lexicon cannot be read (the skill's gate then degrades the step).
"""

import os
import re
import sys

try:
    with open(os.environ["LEXICON"], encoding="utf-8") as handle:
        pairs = (line.split() for line in handle if line.strip() and not line.startswith("#"))
        lexicon = {word.lower(): int(value) for word, value in pairs}
except (OSError, ValueError) as exc:
    print(f"cannot read the lexicon: {exc}", file=sys.stderr)
    sys.exit(2)

words = re.findall(r"[a-z']+", os.environ["TEXT"].lower())
score = sum(lexicon.get(word, 0) for word in words)
label = "positive" if score > 0 else "negative" if score < 0 else "neutral"
with open(os.environ["GITHUB_OUTPUT"], "a", encoding="utf-8") as out:
    out.write(f"label={label}\nscore={score}\n")
print(f"{len(words)} words scored {score}: {label}")
