"""Identity resolution: match hints from the dictionary, Splink models built from them, stable entity ids."""
