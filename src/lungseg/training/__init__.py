"""Training: data sets, augmentation and pathology simulation, the epoch loop."""
