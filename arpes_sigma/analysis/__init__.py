"""Reading fitted results: temperature series (W peak, gap, T_c)."""
