"""Verdicts computed from measured numbers: confirmed, refuted, or depends (on a named condition).

Each experiment declares its test in `@experiment(test=...)` before it runs; its function then
returns one of the Verdicts below, built from the numbers it measured. `compare` applies the Lab's
rule for "A beats B": the difference of the means must exceed twice the seed spread (the largest
max-minus-min across seeds of either option); anything smaller is "no measurable difference".
"""
import math

__all__ = ["Verdict", "confirmed", "refuted", "depends", "all_of", "across", "compare",
           "Comparison", "OUTCOMES"]

OUTCOMES = ("confirmed", "refuted", "depends")


class Verdict:
    """The outcome ('confirmed' | 'refuted' | 'depends'), one paragraph of text saying why in
    numbers, the condition it depends on (for 'depends'), and the named checks that decided it."""

    def __init__(self, outcome, text, condition=None, checks=None):
        if outcome not in OUTCOMES:
            raise ValueError(f"Verdict: outcome must be one of {OUTCOMES}, got {outcome!r}")
        if outcome == "depends" and not condition:
            raise ValueError("Verdict: a 'depends' verdict must name its condition")
        self.outcome, self.text, self.condition = outcome, text, condition
        self.checks = {k: bool(v) for k, v in (checks or {}).items()}

    def as_dict(self):
        return {"outcome": self.outcome, "text": self.text, "condition": self.condition,
                "checks": self.checks}

    def __str__(self):
        cond = f" (depends on {self.condition})" if self.condition else ""
        return f"{self.outcome.upper()}{cond}: {self.text}"

    def __repr__(self):
        return f"Verdict({self.outcome!r}, {self.text!r})"


def confirmed(text, checks=None):
    return Verdict("confirmed", text, checks=checks)


def refuted(text, checks=None):
    return Verdict("refuted", text, checks=checks)


def depends(condition, text, checks=None):
    return Verdict("depends", text, condition=condition, checks=checks)


def all_of(checks, because="", note=""):
    """Confirmed when every named check holds, refuted otherwise (the text lists the failing ones).
    `checks`: {description: bool}, descriptions written with their numbers. `because`: the
    conclusion the checks support, added only when they all hold; `note`: more measured numbers,
    always added."""
    failed = [name for name, ok in checks.items() if not ok]
    tail = f" {note}" if note else ""
    if not failed:
        if because:
            tail = f" {because}" + tail
        return confirmed("all checks hold: " + "; ".join(checks) + "." + tail, checks)
    return refuted("failed: " + "; ".join(failed) + "." + tail, checks)


def across(conditions, claim, because=""):
    # `because` is only added to a 'depends' verdict: the claim flipped across conditions
    """The claim's test evaluated under several conditions ({condition: bool}): confirmed if it
    holds under all, refuted under none, otherwise depends, naming where it holds."""
    held = [c for c, ok in conditions.items() if ok]
    failed = [c for c, ok in conditions.items() if not ok]
    tail = f" {because}" if because else ""
    if not failed:
        return confirmed(f"{claim} holds under every condition scanned ({', '.join(held)}).",
                         conditions)
    if not held:
        return refuted(f"{claim} holds under none of the conditions scanned "
                       f"({', '.join(failed)}).", conditions)
    return depends("; ".join(held), f"{claim} holds for {', '.join(held)} but not for "
                   f"{', '.join(failed)}.{tail}", conditions)


class Comparison:
    """The result of compare(): .winner is the better name or None (no measurable difference)."""

    def __init__(self, name_a, a, name_b, b, higher_is_better):
        if len(a) < 2 or len(b) < 2:
            raise ValueError(f"compare({name_a!r}, {name_b!r}): a comparison needs at least 2 "
                             f"seeds per option, got {len(a)} and {len(b)}")
        self.mean_a, self.mean_b = sum(a) / len(a), sum(b) / len(b)
        self.spread = max(max(a) - min(a), max(b) - min(b))
        self.diff = self.mean_a - self.mean_b
        better_a = self.diff > 0 if higher_is_better else self.diff < 0
        self.measurable = (abs(self.diff) > 2 * self.spread and not math.isnan(self.diff))
        self.winner = (name_a if better_a else name_b) if self.measurable else None
        self.name_a, self.name_b = name_a, name_b

    def __str__(self):
        head = (f"{self.name_a} {self.mean_a:.4g} vs {self.name_b} {self.mean_b:.4g} "
                f"(seed spread {self.spread:.2g})")
        if self.winner is None:
            return head + ": no measurable difference"
        return head + f": {self.winner} better"

    def as_dict(self):
        return {"a": self.name_a, "b": self.name_b, "mean_a": self.mean_a, "mean_b": self.mean_b,
                "spread": self.spread, "winner": self.winner}


def compare(name_a, a, name_b, b, higher_is_better=True):
    """Compare per-seed measurements `a` and `b` (>= 2 each) under the Lab's 2x-spread rule."""
    return Comparison(name_a, [float(v) for v in a], name_b, [float(v) for v in b],
                      higher_is_better)
