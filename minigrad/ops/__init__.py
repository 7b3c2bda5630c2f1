"""The differentiable primitives; every other op is composed from these."""
