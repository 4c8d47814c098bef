"""The impact report: what the platform saved (gross), what it costs the planet (footprint),
and the difference (net).

``sources`` holds the contract a domain declares (``Domain(impacts=(ImpactSource(…),))``),
light to import; ``settings`` the territory's factors; ``footprint`` and ``field_trips`` what
core counts itself; ``report`` assembles them for a period and a set of communes.
"""
