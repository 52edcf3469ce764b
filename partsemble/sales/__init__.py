"""Sales: applying documents (synced or manual) to stock, and the Sales pages."""
