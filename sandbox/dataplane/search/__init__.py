"""The sandbox's Azure AI Search data plane: schema models, engine, queries, routes."""
