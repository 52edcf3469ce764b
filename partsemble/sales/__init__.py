"""Sales pages (the Sales tab, a sale's detail, Sync Now's panel) and manual sales; documents are
applied and costed by partsemble.costing."""
