"""Seeded data for every sandbox site, one module per site (mirroring `sandbox/sites/`), the shared parts in
`common`, and `world.World` holding one seed's whole web."""
