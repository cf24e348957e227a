"""Finding image/mask pairs on disk and splitting them (generic layouts; the NLM sets apart)."""
