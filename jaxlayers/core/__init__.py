"""Core machinery: scope (pure init/apply), Layer facade, weights, input specs, registry."""
