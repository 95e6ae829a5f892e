"""The cloud side of signed bundles, software artifacts and staged rollouts (issue 5)."""
