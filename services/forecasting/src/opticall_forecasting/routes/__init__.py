"""HTTP handlers of the forecasting service, one module per resource."""
