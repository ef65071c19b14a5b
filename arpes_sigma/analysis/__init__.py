"""Reading fitted results: temperature series (W peak, gap, T_c), fit quality, many cuts along the Fermi surface."""
