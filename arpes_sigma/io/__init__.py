"""Input and output: reading spectra, the data contract, and the one atomic writer."""
