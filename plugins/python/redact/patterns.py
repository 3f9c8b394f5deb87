"""The text patterns redact masks, and the Luhn check that tells a card
number from any other long number (as plugins/redact/src/patterns.rs).
re.ASCII: the Rust version's regex-lite knows only ASCII classes."""
import re

BUILTIN = {
    "email": (r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}", False),
    "bearer": (r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+", False),
    "card": (r"\b\d(?:[ -]?\d){12,}\b", True),
}


class Patterns:
    def __init__(self, builtin, custom):
        self.patterns = []
        for name in builtin:
            if name not in BUILTIN:
                raise ValueError(
                    f"invalid configuration at `patterns`: unknown pattern `{name}` "
                    "(known: email, bearer, card; use `custom` for your own regexes)")
            source, luhn = BUILTIN[name]
            self.patterns.append((re.compile(source, re.ASCII), luhn))
        for source in custom:
            try:
                self.patterns.append((re.compile(source, re.ASCII), False))
            except re.error as e:
                raise ValueError(f"invalid configuration at `custom`: bad regex `{source}`: {e}") from None

    def mask(self, text, replacement):
        """`text` with every match replaced, or None if nothing matched."""
        current = None
        for regex, luhn in self.patterns:
            source = text if current is None else current
            changed = False

            def replace(match):
                nonlocal changed
                found = match.group(0)
                masked = replacement if not luhn else mask_cards(found, replacement)
                if masked is None:
                    return found
                changed = True
                return masked

            out = regex.sub(replace, source)
            if changed:
                current = out
        return current


def mask_cards(run, replacement):
    """`run` with each card number in it masked, or None if it holds none."""
    groups = [(m.start(), m.end()) for m in re.finditer(r"[0-9]+", run)]
    out, copied, i = [], 0, 0
    while i < len(groups):
        digits, card = 0, None
        for j in range(i, len(groups)):
            digits += groups[j][1] - groups[j][0]
            if digits > 19:
                break
            if digits >= 13 and luhn_valid(run[groups[i][0]:groups[j][1]]):
                card = j
        if card is None:
            i += 1
            continue
        out.append(run[copied:groups[i][0]])
        out.append(replacement)
        copied = groups[card][1]
        i = card + 1
    if copied == 0:
        return None
    out.append(run[copied:])
    return "".join(out)


def luhn_valid(text):
    digits = [int(c) for c in text if c.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0
