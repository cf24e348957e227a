"""Reading X-rays (one reader for every use) and writing files atomically."""
