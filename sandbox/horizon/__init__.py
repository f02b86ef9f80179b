"""The Horizon simulator: routes, HAL resources, problem documents, paging and event streams."""
