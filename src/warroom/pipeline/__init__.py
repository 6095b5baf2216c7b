"""The alert pipeline: normalised events, dedup, suppression, grouping and the batching writer."""
