"""HTTP routes of the forecasting service, one module per resource."""
