"""Reports: margins by product and by month, shortages."""
