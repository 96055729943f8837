"""Shared test configuration (keep minimal)."""

from hypothesis import HealthCheck, settings

# On a fresh checkout Hypothesis first builds its Unicode tables (~1 s), which trips the
# too_slow health check and the per-example deadline once; neither says anything about
# the code under test, so CI and first runs would fail spuriously.
settings.register_profile("aware", suppress_health_check=[HealthCheck.too_slow], deadline=None)
settings.load_profile("aware")
