"""Reports made for people: the impact report as an HTML page (or fragment of one), a PDF, and
the public indicators page of a territory.

They only render: the figures come from ``beffroi.core.impact`` as a plain dict (the impact
report's JSON), so that the page, the PDF, the CSV and the JSON always say the same thing.
"""
