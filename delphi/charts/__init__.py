"""The charts of the dashboard, the API and the report: their specifications
(:mod:`delphi.charts.specs`) and the cache of rendered images
(:mod:`delphi.charts.cache`)."""
