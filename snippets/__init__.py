"""Formula twins: from-scratch implementations, written line for line after the formulas on the pages."""
