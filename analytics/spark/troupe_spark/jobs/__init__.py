"""Spark jobs over Troupe journals: the weather example's daily aggregates and the bank example's balances."""
