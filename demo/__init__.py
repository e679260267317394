"""The demo group: three brands, their sites, campaigns and a few thousand customers."""
