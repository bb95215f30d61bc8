"""scomm: Secure Communities, end to end, on real parts."""
