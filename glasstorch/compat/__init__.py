"""The compatibility census: which of torch's public names glasstorch has, generated from torch.

    python -m glasstorch.compat            # writes docs/COMPATIBILITY.md, prints the summary
    python -m glasstorch.compat --check    # exit 1 if docs/COMPATIBILITY.md is stale

census.py enumerates torch's public API (needs torch installed: it is the spec, not a
dependency) and classifies each name; report.py renders the tables.
"""
